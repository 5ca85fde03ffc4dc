"""Issue 11 rows 6 and 10, probed from outside a non-development ``lifeline up``:

- row 6: every file of its state (``lifeline.db`` and its ``-wal``/``-shm``,
  ``telemetry.db``, the broker account files, ``rule_state.msgpack`` written at stop) is
  0600 and every folder 0700, also when the data folder existed before as 0755;
- row 10: the service password comes from ``LIFELINE_MQTT_PASSWORD_FILE`` and is on
  the command line of neither ``lifeline up`` nor its simulator child (``ps``).
"""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from lifeline.core.timeutil import now_ms
from tests.e2e.stack import Stack, eventually, gas_topic
from tests.e2e.utility import (
    UtilityStack,
    issue_accounts,
    owned_channels,
    reading,
    utility_client,
)
from tests.services import run_mosquitto

HARNESS_FILES = {"stack.log"}  # written by the test harness, not by Lifeline


def _loose_modes(data_dir: Path) -> dict[str, str]:
    """Paths under ``data_dir`` (itself included) that group or others may access."""
    loose = {}
    for path in [data_dir, *data_dir.rglob("*")]:
        if path.name in HARNESS_FILES:
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            loose[str(path.relative_to(data_dir))] = oct(mode)
    return loose


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (from /proc/*/stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    tree = [root]
    for pid in tree:
        tree += [child for child, parent in parents.items() if parent == pid]
    return tree


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
async def test_up_keeps_state_private_and_secrets_off_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)  # as an older version (or a careless operator) left it
    passwords = await asyncio.to_thread(issue_accounts, data_dir)
    secret_file = tmp_path / "mqtt-password"
    secret_file.write_text(passwords["lifeline"] + "\n")
    broker_files = data_dir / "broker"
    extra = "\n".join(
        [
            "allow_anonymous false",
            f"password_file {broker_files / 'passwd'}",
            f"acl_file {broker_files / 'acl'}",
        ]
    )
    with run_mosquitto(tmp_path / "mosquitto", extra) as mosquitto:
        stack = Stack(
            data_dir=data_dir,
            mqtt_url=f"mqtt://127.0.0.1:{mosquitto.port}",
            env={
                "LIFELINE_DEV_MODE": "0",
                "LIFELINE_MQTT_USERNAME": "lifeline",
                "LIFELINE_MQTT_PASSWORD_FILE": str(secret_file),
            },
            extra_args=["--simulate", "--backfill", "1s"],
        )
        stack.start()  # before the fix: refused by the broker, never healthy
        try:
            running = UtilityStack(stack, passwords)
            channel = owned_channels(running.registry, "gas-huarun")[0]
            async with utility_client(running, "gas-huarun") as gas:
                await gas.publish(gas_topic(channel), reading(now_ms(), lel_pct=3), qos=1)
            assert stack.process is not None
            tree = await eventually(
                lambda: _tree_with_child(stack.process.pid if stack.process else 0),
                timeout_s=30,
            )
            secrets = list(passwords.values())  # the service's and every utility's
            shown = {pid: _cmdline(pid) for pid in tree}
            assert all(s not in line for s in secrets for line in shown.values()), shown
            assert (data_dir / "telemetry.db").exists()
            assert (data_dir / "lifeline.db-wal").exists()
            assert _loose_modes(data_dir) == {}
        finally:
            stack.stop()
    assert (data_dir / "rule_state.msgpack").exists()
    assert _loose_modes(data_dir) == {}


async def _tree_with_child(root: int) -> list[int] | None:
    """The process tree once ``lifeline up`` has started its simulator child."""
    tree = _process_tree(root)
    return tree if any("simulate" in _cmdline(pid) for pid in tree[1:]) else None
