"""AlertEngine and contract v1.1 ordering (late records raise, never clear) and live
registry edits (set-points apply to the next record)."""

from __future__ import annotations

import msgspec

from alerts.engine import AlertEngine
from lifeline.core.alert import Alert, AlertState, Severity
from lifeline.core.registry import Registry
from tests.alerts.conftest import T0, Harness, gas, gas_event, make_registry

S = 1000
SKEW = 290 * S


def only(engine: AlertEngine, rule: str = "gas_leak") -> Alert:
    alerts = [a for a in engine.open.alerts() if a.rule == rule]
    assert len(alerts) == 1, alerts
    return alerts[0]


async def test_a_future_skewed_reading_does_not_hide_the_leak_after_it(harness: Harness) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0 + SKEW, 1.0)])
    for i in range(5):
        await engine.accept([gas("GAS-0001", T0 + i * S, 75.0)])
    alert = only(engine)
    assert (alert.severity, alert.state, alert.value) == (
        Severity.CRITICAL,
        AlertState.ACTIVE_UNACKED,
        75.0,
    )
    assert alert.raised_at_ms == T0
    assert engine.open.source_state("GAS-0001") == "alarm"
    assert harness.drain() == [("gas_leak", "GAS-0001", "active_unacked")]  # raised once
    await engine.accept([gas("GAS-0001", T0 + 10 * S, 0.0)])  # late: never clears
    assert only(engine).condition_active
    await engine.accept([gas("GAS-0001", T0 + SKEW + S, 0.0)])  # the newest clears
    assert only(engine).state is AlertState.CLEARED_UNACKED


async def test_late_reading_escalates_without_re_timing(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 25.0)])
    await harness.engine.accept([gas("GAS-0001", T0 - 30 * S, 60.0)])
    alert = only(harness.engine)
    assert (alert.severity, alert.value, alert.updated_at_ms) == (Severity.CRITICAL, 60.0, T0)


async def test_late_alarm_event_raises_the_gas_leak_after_a_newer_clear(harness: Harness) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0 + SKEW, 1.0)])
    await engine.accept([gas_event("GAS-0001", T0 + SKEW, "alarm_cleared")])
    await engine.accept([gas_event("GAS-0001", T0, "alarm_high")])
    alert = only(engine)
    assert (alert.severity, alert.condition_active) == (Severity.CRITICAL, True)
    await engine.accept([gas_event("GAS-0001", T0 - S, "alarm_cleared")])  # late: kept
    assert only(engine).condition_active
    await engine.accept([gas_event("GAS-0001", T0 + SKEW + S, "alarm_cleared")])
    assert only(engine).state is AlertState.CLEARED_UNACKED


async def test_an_edited_set_point_applies_to_the_next_reading(harness: Harness) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0, 5.0)])  # judged once at 20 / 50
    channel = harness.registry.channels["GAS-0001"]
    harness.registry.channels["GAS-0001"] = msgspec.structs.replace(
        channel, low_pct=10.0, high_pct=30.0
    )  # what PUT /api/v1/channels/{id} does to the shared registry
    await engine.accept([gas("GAS-0001", T0 + S, 35.0)])
    alert = only(engine)
    assert (alert.severity, alert.threshold) == (Severity.CRITICAL, 30.0)


async def test_a_reloaded_registry_adopted_in_place_applies_to_the_next_reading(
    harness: Harness,
) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0, 12.0)])  # 12 < 20: nothing
    assert engine.open.alerts() == []
    reloaded: Registry = make_registry()
    channel = reloaded.channels["GAS-0001"]
    reloaded.channels["GAS-0001"] = msgspec.structs.replace(channel, low_pct=10.0)
    harness.registry.adopt(reloaded)  # what lifeline.registry_follow does in a worker
    await engine.accept([gas("GAS-0001", T0 + S, 12.0)])
    alert = only(engine)
    assert (alert.severity, alert.threshold) == (Severity.MAJOR, 10.0)


async def test_a_snapshot_written_before_the_late_fields_still_loads(harness: Harness) -> None:
    old = {  # rule_state.msgpack as the previous version wrote it
        "version": 1,
        "watermark_ms": T0,
        "threshold": {
            "gas_leak": {
                "GAS-0001": {"last_ts_ms": T0, "last_value": 60.0, "active": True, "level": 1}
            }
        },
        "events": {
            "gas_tamper": {"GAS-0001": {"last_ts_ms": T0, "severity": "major", "event": "tamper"}}
        },
    }
    (harness.tmp_path / "alert-state.msgpack").write_bytes(msgspec.msgpack.encode(old))
    engine = harness.new_engine()
    await engine.start()
    assert engine.watermark_ms == T0
    # the loaded state holds critical: a late 25 %LEL is no worse (a fresh one would raise)
    await engine.accept([gas("GAS-0001", T0 - S, 25.0)])
    assert engine.open.alerts() == []
    await engine.accept([gas_event("GAS-0001", T0, "tamper")])  # the same pulse again
    assert engine.open.alerts() == []
