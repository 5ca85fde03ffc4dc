"""Loading and validating rules files."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.machines.anomaly import AnomalyRule
from alerts.machines.deadman import DeadmanRule
from alerts.machines.events import EventRule
from alerts.machines.stuck import StuckRule
from alerts.machines.threshold import ThresholdRule
from alerts.rules import load_rules, parse_rules
from lifeline.core.alert import Severity
from lifeline.core.errors import ConfigError

GOOD = """
rules:
  - name: leak
    type: threshold
    kind: gas_channel
    metric: lel_pct
    direction: above
    levels: [{value: 20, severity: major}, {value: 50, severity: critical}]
    message: "{source_id} {value}"
    events: {raise_on: {alarm_high: critical}, clear_on: [alarm_cleared]}
"""


def test_shipped_default_rules_load_with_every_rule_type() -> None:
    rules = load_rules(None)
    by_name = rules.by_name
    types = {type(rule) for rule in rules.rules}
    assert types == {ThresholdRule, EventRule, StuckRule, DeadmanRule, AnomalyRule}
    leak = by_name["gas_leak"]
    assert isinstance(leak, ThresholdRule)
    assert leak.events is not None
    assert leak.on_delay_s == 0
    assert [lvl.severity for lvl in leak.levels] == [Severity.MAJOR, Severity.CRITICAL]
    offline = by_name["enterprise_offline"]
    assert isinstance(offline, DeadmanRule)
    assert offline.timeout_s == 900


def test_default_rules_keep_critical_rare() -> None:
    severities: list[Severity] = []
    for rule in load_rules().rules:
        if isinstance(rule, ThresholdRule):
            severities += [lvl.severity for lvl in rule.levels]
        elif isinstance(rule, EventRule):
            spec = rule.events
            severities += list(spec.raise_on.values()) if isinstance(spec.raise_on, dict) else []
            severities += [spec.severity] if spec.severity else []
        else:
            severities.append(rule.severity)
    assert severities.count(Severity.CRITICAL) == 1


def test_a_rule_with_levels_and_events_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD)
    (rule,) = load_rules(path).rules
    assert isinstance(rule, ThresholdRule)
    assert rule.events is not None
    assert rule.events.severity_of("alarm_high") is Severity.CRITICAL


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("metric: lel_pct", "metric: lel"), "unknown gas_channel metric 'lel'"),
        (("severity: major", "severity: huge"), "Invalid enum value 'huge'"),
        (("direction: above", "direction: upward"), "Invalid enum value 'upward'"),
        (("value: 50", "value: 10"), "levels must be strictly ascending"),
        (("critical}]", "minor}]"), "higher severity"),
        (("alarm_high: critical", "alarm_hi: critical"), "unknown gas_channel event 'alarm_hi'"),
        (
            ("clear_on: [alarm_cleared]", "momentary: true, clear_on: [alarm_cleared]"),
            "exactly one",
        ),
        (('"{source_id} {value}"', '"{source_id} {lel}"'), "message template uses ['lel']"),
        (("kind: gas_channel", "kind: station"), "unknown station metric"),
        (("    metric:", "    metrik: x\n    metric:"), "unknown field `metrik`"),
        (("type: threshold", "type: magic"), "Invalid value 'magic'"),
        (("name: leak", "name: Leak!"), "$.rules[0].name"),
    ],
)
def test_invalid_rules_are_reported_with_the_fault(change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ConfigError) as info:
        parse_rules(text, source="r.yaml")
    assert expected in str(info.value)
    assert "r.yaml" in str(info.value)


def test_duplicate_rule_names_are_refused() -> None:
    body = GOOD.split("rules:\n", 1)[1]
    with pytest.raises(ConfigError, match="defined twice"):
        parse_rules("rules:\n" + body + body)


def test_levels_from_registry_only_for_two_gas_lel_levels() -> None:
    text = GOOD.replace("levels: [{value: 20, severity: major}, ", "levels: [").replace(
        "direction: above", "direction: above\n    levels_from_registry: true"
    )
    with pytest.raises(ConfigError, match="levels_from_registry"):
        parse_rules(text)


def test_not_yaml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_rules("rules: [unclosed")
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
