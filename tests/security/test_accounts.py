"""`lifeline accounts`: issuing, keeping and rotating accounts, and the files it writes."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import msgspec
import pytest

from lifeline.account_files import AccountFiles, ensure_accounts, load_state
from lifeline.core.accounts import AccountsState, Role, grants, reconcile, wanted_accounts
from lifeline.core.errors import ConfigError
from lifeline.core.registry import Registry, Utility
from lifeline.passwords import (
    broker_hashes,
    mosquitto_hash,
    verify_amqtt_hash,
    verify_mosquitto_hash,
)
from tests.ingest.conftest import build_registry
from tests.security.conftest import issue
from tests.services import require_binary


def _with_utility(registry: Registry, utility_id: str) -> Registry:
    return Registry(
        [*registry.utilities.values(), Utility(utility_id, utility_id, "gas")],
        registry.channels.values(),
        registry.enterprises.values(),
        registry.stations.values(),
        registry.meters.values(),
    )


def test_rerun_adds_new_utilities_without_rotating_existing_accounts(tmp_path: Path) -> None:
    first = issue(tmp_path)
    assert set(first.passwords) == {
        "lifeline", "healthcheck", "simulator",
        "gas-huarun", "gas-ganghua", "heat-001", "heat-002",
    }  # fmt: skip
    before = load_state(first.files.state)
    grown = _with_utility(first.registry, "gas-newco")
    issued = ensure_accounts(grown, first.files, prefix="lifeline/v1", demo=True)
    assert [c.name for c in issued] == ["gas-newco"]
    after = load_state(first.files.state)
    assert {k: v for k, v in after.accounts.items() if k != "gas-newco"} == before.accounts
    assert ensure_accounts(grown, first.files, prefix="lifeline/v1", demo=True) == []


def test_rotate_issues_a_new_password_for_that_account_only(tmp_path: Path) -> None:
    first = issue(tmp_path)
    before = load_state(first.files.state)
    issued = ensure_accounts(
        first.registry, first.files, prefix="lifeline/v1", demo=True, rotate=["gas-huarun"]
    )
    assert [c.name for c in issued] == ["gas-huarun"]
    after = load_state(first.files.state)
    new, old = after.accounts["gas-huarun"], before.accounts["gas-huarun"]
    assert verify_mosquitto_hash(issued[0].password, new.mosquitto_hash)
    assert verify_amqtt_hash(issued[0].password, new.amqtt_hash)
    assert not verify_mosquitto_hash(first.passwords["gas-huarun"], new.mosquitto_hash)
    assert new.rotated_at_ms is not None
    assert new.created_at_ms == old.created_at_ms
    assert after.accounts["gas-ganghua"] == before.accounts["gas-ganghua"]


def test_rotating_an_unknown_account_is_refused() -> None:
    wanted = wanted_accounts(build_registry())
    with pytest.raises(ConfigError, match="gas-nobody"):
        reconcile(AccountsState(), wanted, now_ms=0, hashes=broker_hashes, rotate=["gas-nobody"])


def test_files_are_private_and_hold_no_password(tmp_path: Path) -> None:
    issued = issue(tmp_path)
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert {p.name for p in files} == {
        "accounts.json", "passwd", "acl", "amqtt-passwd", "amqtt-acl.json",
    }  # fmt: skip
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        text = path.read_text()
        assert not any(secret in text for secret in issued.passwords.values()), path


def test_simulator_account_exists_only_on_request(tmp_path: Path) -> None:
    issued = ensure_accounts(build_registry(), AccountFiles(tmp_path), prefix="lifeline/v1")
    assert "simulator" not in {c.name for c in issued}
    assert "simulator" not in (tmp_path / "acl").read_text()


def test_mosquitto_hash_interoperates_with_mosquitto_passwd(tmp_path: Path) -> None:
    tool = require_binary("mosquitto_passwd", "/usr/bin/mosquitto_passwd")
    passwd = tmp_path / "passwd"
    passwd.touch()
    subprocess.run([tool, "-b", str(passwd), "alice", "s3cret"], check=True)
    theirs = passwd.read_text().strip().split(":", 1)[1]
    assert theirs.startswith("$7$101$")
    assert verify_mosquitto_hash("s3cret", theirs)
    assert not verify_mosquitto_hash("other", theirs)
    salt = b"0123456789ab"
    # same salt and iteration count -> the same line mosquitto_passwd wrote format-wise
    ours = mosquitto_hash("s3cret", salt=salt, iterations=101)
    assert ours.split("$")[:3] == theirs.split("$")[:3]


def test_acl_gives_each_utility_exactly_its_devices() -> None:
    registry = build_registry()
    state = reconcile(
        AccountsState(), wanted_accounts(registry), now_ms=0, hashes=broker_hashes
    ).state
    access = grants(registry, state.accounts.values())
    assert access.publish["gas-huarun"] == [
        "lifeline/v1/gas/GAS-0001/reading",
        "lifeline/v1/gas/GAS-0001/event",
        "lifeline/v1/meter/MTR-00000001/reading",
    ]
    assert access.publish["heat-001"] == ["lifeline/v1/heat/HEAT-001/HEAT-001-S01/telemetry"]
    assert access.subscribe["heat-001"] == ["lifeline/v1/rejects/heat-001"]
    assert state.accounts["heat-001"].role is Role.UTILITY
    readers_of_everything = [
        n for n, topics in access.subscribe.items() if "lifeline/v1/#" in topics
    ]
    assert readers_of_everything == ["lifeline"]


def test_state_file_round_trips(tmp_path: Path) -> None:
    issued = issue(tmp_path)
    raw = issued.files.state.read_bytes()
    state = msgspec.json.decode(raw, type=AccountsState)
    assert set(state.accounts) == set(issued.passwords)
