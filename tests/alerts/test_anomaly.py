"""Anomaly rules in the engine: same lifecycle as thresholds, flood guard, snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.detector_registry import build_detector
from alerts.detectors.domain_gas import BaselineDrift
from alerts.machines import anomaly
from alerts.machines.anomaly import AnomalyRule, AnomalyState
from alerts.rules import load_rules, parse_rules
from lifeline.core.alert import AlertCategory, AlertQuery, AlertState, Severity
from lifeline.core.errors import ConfigError
from lifeline.core.records import Record
from tests.alerts.conftest import MIN, T0, Harness, gas, station

STUCK = """
version: 1
rules:
  - name: lel_stuck
    type: anomaly
    kind: gas_channel
    detector: stuck_value
    metric: lel_pct
    params: {{records: 2}}
    threshold: 0.5
    clear_threshold: {clear}
    clear_records: {clear_records}
    cooldown_s: {cooldown}
    message: "{{source_id}}: {{reason}} (score {{score:.2f}}, expected {{expected}})"
"""

CURVE = """
version: 1
rules:
  - name: under_curve
    type: anomaly
    kind: station
    detector: under_heating_curve
    metrics: [secondary_supply_temp_c, outdoor_temp_c]
    confirm_records: 3
    confirm_s: 120
    clear_threshold: 0.3
    clear_s: 300
    category: alarm
    message: "{source_id}: {observed:.1f} °C, expected {expected}: {reason}"
"""


def stuck_rules(clear: float = 0.3, clear_records: int = 3, cooldown: float = 0) -> str:
    return STUCK.format(clear=clear, clear_records=clear_records, cooldown=cooldown)


async def harness_with(tmp_path: Path, text: str) -> Harness:
    h = Harness(tmp_path, parse_rules(text))
    await h.engine.start()
    return h


def oscillating(n: int) -> list[float]:
    """a, a, b, b, ...: the stuck score alternates 0 / 0.5 around the threshold."""
    return [1.0 + 0.01 * (i // 2) for i in range(n)]


def curve_record(i: int, deficit: float = 0.0) -> Record:
    outdoor = -5.0 + 10.0 * ((i % 240) / 240)  # sweeps the outdoor range
    supply = 50.0 - 0.8 * outdoor + 0.2 * ((i * 7) % 5 - 2) / 2 - deficit
    return station(
        "HEAT-001-S01",
        T0 + i * MIN,
        secondary_supply_temp_c=round(supply, 2),
        outdoor_temp_c=outdoor,
    )


async def test_score_oscillating_around_the_threshold_raises_one_alert_not_hundreds(
    tmp_path: Path,
) -> None:
    h = await harness_with(tmp_path, stuck_rules())
    for i, value in enumerate(oscillating(400)):
        await h.engine.accept([gas("GAS-0001", T0 + i * 30_000, value)])
    alerts, total = await h.store.query(AlertQuery())
    assert total == 1
    assert alerts[0].state is AlertState.ACTIVE_UNACKED
    [open_alert] = h.engine.open.alerts()
    assert open_alert.count > 150  # every active record is a repeat of the same alert
    assert h.drain() == [("lel_stuck", "GAS-0001", "active_unacked")]  # notified once
    assert len(await h.store.audit(alerts[0].id)) == 1
    await h.store.close()


async def test_without_hysteresis_the_same_series_would_chatter(tmp_path: Path) -> None:
    h = await harness_with(tmp_path, stuck_rules(clear=0.5, clear_records=1))
    for i, value in enumerate(oscillating(100)):
        await h.engine.accept([gas("GAS-0001", T0 + i * 30_000, value)])
    assert len(h.drain()) > 50  # raise/clear on every other record: what the guard prevents
    await h.store.close()


async def test_cooldown_blocks_a_re_raise_soon_after_a_clear(tmp_path: Path) -> None:
    h = await harness_with(tmp_path, stuck_rules(clear_records=1, cooldown=600))
    values = [1.0, 1.0, 1.1]  # raise at the 2nd, clear at the 3rd
    values += [1.2, 1.2, 1.3, 1.3]  # stuck again 1-2 min later: within the cooldown
    ts = [T0 + i * 30_000 for i in range(len(values))]
    values += [1.4, 1.4]  # stuck again 15 min later: after it
    ts += [T0 + 15 * MIN, T0 + 15 * MIN + 30_000]
    for t, value in zip(ts, values, strict=True):
        await h.engine.accept([gas("GAS-0001", t, value)])
    assert [state for _, _, state in h.drain()] == [
        "active_unacked",
        "cleared_unacked",
        "active_unacked",
    ]
    alerts, total = await h.store.query(AlertQuery())
    assert total == 1
    assert alerts[0].count == 2
    assert alerts[0].raised_at_ms == T0 + 30_000
    await h.store.close()


async def test_anomaly_alert_carries_rule_severity_category_and_expected_range(
    tmp_path: Path,
) -> None:
    h = await harness_with(tmp_path, CURVE)
    for i in range(120):
        await h.engine.accept([curve_record(i)])
    assert h.engine.open.alerts() == []
    for i in range(120, 126):
        await h.engine.accept([curve_record(i, deficit=8.0)])
    [alert] = h.engine.open.alerts()
    assert alert.rule == "under_curve"
    assert alert.severity is Severity.WARNING
    assert alert.category is AlertCategory.ALARM
    assert alert.raised_at_ms == T0 + 122 * MIN  # 3 records spanning 120 s: 120, 121, 122
    assert alert.value is not None
    assert alert.threshold is not None
    assert alert.value < alert.threshold  # observed below the low edge of the expected range
    assert "expected" in alert.message
    assert "short" in alert.message
    await h.store.close()


async def test_a_restart_neither_re_learns_nor_re_raises(tmp_path: Path) -> None:
    h = await harness_with(tmp_path, CURVE)
    for i in range(120):
        await h.engine.accept([curve_record(i)])
    for i in range(120, 126):
        await h.engine.accept([curve_record(i, deficit=8.0)])
    [before] = h.engine.open.alerts()
    await h.engine.stop()
    h.drain()

    restarted = h.new_engine()
    await restarted.start()
    for i in range(126, 130):
        await restarted.accept([curve_record(i, deficit=8.0)])
    [after] = restarted.open.alerts()
    assert after.id == before.id
    assert after.count > before.count
    assert h.drain() == []  # no second raise notified
    assert len(await h.store.audit(before.id)) == 1

    # the learned curve came back too: on a fresh store, the same snapshot raises at once
    fresh = Harness(tmp_path, parse_rules(CURVE))
    fresh.store = type(h.store)(tmp_path / "other.db")
    engine = fresh.new_engine()
    await engine.start()
    for i in range(130, 134):
        await engine.accept([curve_record(i, deficit=8.0)])
    assert [a.rule for a in engine.open.alerts()] == ["under_curve"]
    await fresh.store.close()
    await h.store.close()


async def test_detector_state_is_kept_per_series_in_the_rule_states(tmp_path: Path) -> None:
    h = await harness_with(tmp_path, stuck_rules())
    await h.engine.accept([gas("GAS-0001", T0, 1.0), gas("GAS-0002", T0, 2.0)])
    await h.engine.accept([gas("GAS-0001", T0 - MIN, 5.0)])  # late: ignored
    table = h.engine._states.tables["anomaly"]["lel_stuck"]
    assert set(table) == {"GAS-0001", "GAS-0002"}
    assert isinstance(table["GAS-0001"], AnomalyState)
    assert table["GAS-0001"].last_ts_ms == T0
    assert table["GAS-0001"].observed == 1.0
    await h.store.close()


def test_the_shipped_rules_include_the_anomaly_detectors() -> None:
    rules = [r for r in load_rules().rules if isinstance(r, AnomalyRule)]
    detectors = {r.detector for r in rules}
    assert detectors >= {
        "rate_of_rise",
        "baseline_drift",
        "stuck_value",
        "continuous_flow",
        "micro_leak",
        "under_heating_curve",
        "burst",
        "mahalanobis",
    }
    by_name = {r.name: r for r in rules}
    assert by_name["gas_rate_of_rise"].severity is Severity.MINOR
    assert all(r.clear_below < r.threshold for r in rules)  # hysteresis everywhere


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("detector: stuck_value", "unknown detector"),
        ("metric: lel_pct", "multivariate"),
        ("params: {{k: -1}}", "params"),
        ("params: {{nonsense: 1}}", "params"),
        ("clear_threshold: 0.9", "clear_threshold"),
        ('message: "{{value}}"', "message template"),
    ],
)
def test_bad_anomaly_rules_are_refused_at_load(change: str, error: str) -> None:
    base = {
        "detector": "detector: burst",
        "metric": "metrics: [primary_supply_pressure_mpa, makeup_water_t]",
        "params": "params: {{}}",
        "clear_threshold": "clear_threshold: 0.3",
        "message": 'message: "{{source_id}} {{reason}}"',
    }
    key = change.split(":")[0]
    if change == "detector: stuck_value":
        base["detector"] = "detector: no_such_detector"
    else:
        base[key] = change
    text = (
        (
            "version: 1\nrules:\n  - name: r\n    type: anomaly\n    kind: station\n    "
            + "\n    ".join(base.values())
            + "\n"
        )
        .replace("{{", "{")
        .replace("}}", "}")
    )
    with pytest.raises(ConfigError, match=error):
        parse_rules(text)


async def test_a_generic_detector_runs_as_a_rule_and_its_state_survives_a_restart(
    tmp_path: Path,
) -> None:
    text = """
version: 1
rules:
  - name: lel_generic
    type: anomaly
    kind: gas_channel
    detector: combined
    metric: lel_pct
    params: {learn_records: 30}
    message: "{source_id}: {reason}"
"""
    h = await harness_with(tmp_path, text)
    for i in range(120):
        await h.engine.accept([gas("GAS-0001", T0 + i * MIN, 1.0 + 0.05 * (i % 3))])
    await h.engine.stop()
    restarted = h.new_engine()
    await restarted.start()
    state = restarted._states.tables["anomaly"]["lel_generic"]["GAS-0001"]
    assert isinstance(state.detector, dict)  # plain data until first used
    await restarted.accept([gas("GAS-0001", T0 + 120 * MIN, 1.0)])
    restored = restarted._states.tables["anomaly"]["lel_generic"]["GAS-0001"].detector
    assert type(restored).__name__ == "StreamState"
    assert restored.n == 121
    await h.store.close()


def test_holding_in_the_deadband_keeps_the_message_and_no_opinion_changes_nothing() -> None:
    rule = parse_rules(stuck_rules()).rules[0]
    assert isinstance(rule, AnomalyRule)
    detector = build_detector(rule.detector, rule.inputs, rule.params)
    state, evaluation = anomaly.update(None, T0, 1.5, rule, detector, "GAS-0001")
    state, evaluation = anomaly.update(state, T0 + MIN, 1.5, rule, detector, "GAS-0001")
    assert evaluation is not None
    assert evaluation.active
    raised = evaluation.message
    assert "same value 1.5" in raised
    state, evaluation = anomaly.update(state, T0 + 2 * MIN, 1.7, rule, detector, "GAS-0001")
    assert evaluation is not None
    assert evaluation.active  # one record below clear_threshold of the three needed
    assert evaluation.message == raised
    assert evaluation.value == 2  # the run that raised it, not the calm record
    assert state is not None
    learning = AnomalyState(state.last_ts_ms, BaselineDrift().new_state())
    drift_text = stuck_rules().replace("stuck_value", "baseline_drift")
    drift = parse_rules(drift_text.replace("params: {records: 2}", "")).rules[0]
    assert isinstance(drift, AnomalyRule)
    drift_detector = BaselineDrift()
    held, none = anomaly.update(learning, T0 + 3 * MIN, 9.0, drift, drift_detector, "GAS-0001")
    assert none is None  # warming up: no opinion, neither raise nor clear
    assert held is not None
    assert held.last_ts_ms == T0 + 3 * MIN
