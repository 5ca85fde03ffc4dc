"""Rules documents: which rules run (the file, or an administrator's newer edit of it),
parameter edits validated like the file, and the dry run of a change on open alerts."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from alerts.machines.threshold import ThresholdRule
from alerts.rule_documents import edited_document, rule_fields, rules_in_use
from alerts.rule_dry_run import Outcome, dry_run, threshold_outcome
from alerts.rules import DEFAULT_RULES_PATH, load_rules
from lifeline.core.alert import Alert, AlertState, Severity
from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind
from store import SqliteRuleSetStore
from tests.alerts.conftest import T0, make_registry

DEFAULTS = DEFAULT_RULES_PATH.read_text()


def alert(rule: str, value: float, severity: Severity, source: str = "GAS-0001") -> Alert:
    return Alert(
        source, SourceKind.GAS_CHANNEL, rule, severity, AlertState.ACTIVE_UNACKED, "m", T0, T0,
        value=value, id=7,
    )  # fmt: skip


async def test_the_file_runs_until_an_edit_of_it_is_saved_and_a_newer_file_wins(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(DEFAULTS)
    store = SqliteRuleSetStore(tmp_path / "lifeline.db")
    try:
        in_use = await rules_in_use(path, store)
        assert (in_use.version, in_use.source) == (None, str(path))
        edited, _ = edited_document(in_use.document, {"gas_stuck": {"description": "x"}})
        await store.save(edited, in_use.base_sha256, "admin", T0, None)
        saved = await rules_in_use(path, store)
        assert (saved.version, saved.source) == (1, "administration v1")
        assert rule_fields(saved.document)["gas_stuck"]["description"] == "x"
        path.write_text(DEFAULTS + "\n# edited by hand\n")  # the file is newer
        assert (await rules_in_use(path, store)).version is None
    finally:
        await store.close()


def test_an_edit_is_validated_like_the_rules_file() -> None:
    text, rules = edited_document(
        DEFAULTS, {"gas_leak": {"deadband": 3, "levels": [{"value": 25, "severity": "major"},
                                                          {"value": 45, "severity": "critical"}]}}
    )  # fmt: skip
    leak = rules.by_name["gas_leak"]
    assert isinstance(leak, ThresholdRule)
    assert (leak.deadband, [x.value for x in leak.levels]) == (3, [25, 45])
    assert rule_fields(text)["gas_leak"]["deadband"] == 3
    with pytest.raises(ConfigError, match="deadband"):
        edited_document(DEFAULTS, {"gas_leak": {"deadband": -1}})
    with pytest.raises(ConfigError, match="does not exist"):
        edited_document(DEFAULTS, {"nope": {"deadband": 1}})
    with pytest.raises(ConfigError, match="cannot be changed"):
        edited_document(DEFAULTS, {"gas_leak": {"type": "event"}})
    with pytest.raises(ConfigError):
        edited_document(DEFAULTS, {"gas_leak": {"colour": "red"}})  # unknown field


def test_the_dry_run_names_the_open_alerts_a_change_would_clear_or_re_grade() -> None:
    old = load_rules()
    _, new = edited_document(
        DEFAULTS,
        {"station_primary_overtemp": {"levels": [{"value": 135, "severity": "major"}]},
         "gas_stuck": {"description": "changed"}},
    )  # fmt: skip
    hot = msgspec.structs.replace(
        alert("station_primary_overtemp", 131.0, Severity.MAJOR, "HEAT-001-S01"), id=1
    )
    stuck = msgspec.structs.replace(alert("gas_stuck", 3.0, Severity.MINOR), id=2)
    untouched = msgspec.structs.replace(alert("gas_leak", 60.0, Severity.CRITICAL), id=3)
    channels = make_registry().channels.get
    changes = dry_run(old, new, [stuck, hot, untouched], channels)
    assert [(c.alert_id, c.outcome) for c in changes] == [
        (1, Outcome.CLEAR),
        (2, Outcome.REEVALUATED),
    ]


def test_channel_set_points_re_grade_a_leak_alert() -> None:
    leak = load_rules().by_name["gas_leak"]
    assert isinstance(leak, ThresholdRule)
    registry = make_registry()
    channel = registry.channels["GAS-0001"]
    major = alert("gas_leak", 30.0, Severity.MAJOR)
    assert threshold_outcome(leak, major, channel) is None
    stricter = msgspec.structs.replace(channel, high_pct=25.0, low_pct=10.0)
    assert threshold_outcome(leak, major, stricter) == (Outcome.SEVERITY, Severity.CRITICAL)
    held = alert("gas_leak", 49.0, Severity.MAJOR)  # within the deadband of 50: no change
    assert threshold_outcome(leak, held, channel) is None
