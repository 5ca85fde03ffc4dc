"""AlertEngine end to end: records in, alerts in the real SQLite store, events out."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from alerts.engine import AlertEngine, EngineOptions
from alerts.metrics import AlertMetrics
from alerts.notify_memory import BroadcastNotifier
from alerts.rules import load_rules
from lifeline.core.alert import (
    Alert,
    AlertAction,
    AlertCategory,
    AlertCommand,
    AlertQuery,
    AlertState,
    AuditEntry,
    Severity,
)
from lifeline.core.errors import NotFoundError, TransitionError
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import AlertEvent
from lifeline.core.registry import Enterprise, Registry, Station
from store.sqlite_alerts import SqliteAlertStore
from tests.alerts.conftest import (
    MIN,
    T0,
    FakeClock,
    Harness,
    gas,
    gas_event,
    make_registry,
    meter,
    station,
)

S = 1000
AU = AlertState.ACTIVE_UNACKED
HEAT_001 = ["HEAT-001-S01", "HEAT-001-S02", "HEAT-001-S03"]
OTHERS = ["HEAT-002-S01", "HEAT-003-S01"]


def only(engine: AlertEngine, rule: str | None = None) -> Alert:
    alerts = [a for a in engine.open.alerts() if rule is None or a.rule == rule]
    assert len(alerts) == 1, alerts
    return alerts[0]


async def test_reading_of_60_lel_raises_one_critical_gas_leak_alert(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    alert = only(harness.engine)
    assert (alert.rule, alert.severity, alert.state, alert.value) == (
        "gas_leak",
        Severity.CRITICAL,
        AU,
        60.0,
    )
    assert (alert.district, alert.utility_id, alert.category) == ("市南", "gas-a", "alarm")
    stored = await harness.store.open_alerts()
    assert stored == [alert]
    assert alert.id > 0
    (event,) = harness.events.drain()
    assert (event.id, event.severity, event.state) == (alert.id, "critical", "active_unacked")
    assert event.raised_at.endswith("Z")


async def test_repeats_update_the_same_alert_without_notifying(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0 + i * S, 60.0 + i) for i in range(5)])
    alert = only(harness.engine)
    assert (alert.count, alert.value) == (5, 64.0)
    assert len(harness.drain()) == 1
    await harness.engine.stop()  # repeats are written at stop (and periodically)
    (stored,) = await harness.store.open_alerts()
    assert (stored.id, stored.count, stored.value) == (alert.id, 5, 64.0)


async def test_readings_below_low_minus_deadband_clear_it_and_ack_closes_it(
    harness: Harness,
) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0, 60.0), gas("GAS-0001", T0 + S, 18.0)])
    assert only(engine).state is AU  # 18 is inside the deadband (20 - 2)
    await engine.accept([gas("GAS-0001", T0 + 2 * S, 17.5)])
    cleared = only(engine)
    assert (cleared.state, cleared.condition_active) == (AlertState.CLEARED_UNACKED, False)
    harness.clock.now = T0 + 10 * MIN
    checked = AlertCommand(AlertAction.ACK, "op1", note="checked on site")
    closed = await engine.act(cleared.id, checked)
    assert closed.state is AlertState.CLOSED
    assert engine.open.alerts() == []
    trail = await harness.store.audit(closed.id)
    assert [(e.action, e.actor) for e in reversed(trail)] == [
        ("raise", "system"),
        ("deescalate", "system"),
        ("clear", "system"),
        ("ack", "op1"),
    ]
    assert trail[0].note == "checked on site"
    assert trail[0].at_ms == T0 + 10 * MIN
    states = [state for _, _, state in harness.drain()]
    assert states == ["active_unacked", "active_unacked", "cleared_unacked", "closed"]


async def test_ack_of_an_active_alert_keeps_it_open_and_a_second_ack_is_refused(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 30.0)])
    alert = only(harness.engine)
    acked = await harness.engine.act(alert.id, AlertCommand(AlertAction.ACK, "op1", "seen"))
    assert (acked.state, acked.acked_by) == (AlertState.ACTIVE_ACKED, "op1")
    with pytest.raises(TransitionError):
        await harness.engine.act(alert.id, AlertCommand(AlertAction.ACK, "op2"))
    with pytest.raises(NotFoundError):
        await harness.engine.act(9999, AlertCommand(AlertAction.ACK, "op1"))
    with pytest.raises(TransitionError, match="unknown action"):
        await harness.engine.act(alert.id, AlertCommand("explode", "op1"))  # type: ignore[arg-type]
    assigned = await harness.engine.act(alert.id, AlertCommand("assign", "op1", assignee="crew-7"))  # type: ignore[arg-type]
    assert (assigned.assigned_to, assigned.state) == ("crew-7", AlertState.ACTIVE_ACKED)
    await harness.engine.accept([gas("GAS-0001", T0 + S, 0.0)])
    assert harness.engine.open.alerts() == []  # acked + cleared = closed


async def test_restart_on_the_same_store_and_snapshot_does_not_duplicate(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    first = only(harness.engine)
    await harness.engine.stop()
    engine = harness.new_engine()
    await engine.start()
    assert engine.open.alerts() == [first]
    await engine.accept([gas("GAS-0001", T0 + S, 61.0), gas("GAS-0002", T0 + 20 * MIN, 0.0)])
    again = only(engine, "gas_leak")
    assert (again.id, again.count) == (first.id, 2)
    await engine.tick()  # watermark is 20 min later: GAS-0001's last-seen survived
    offline = only(engine, "gas_offline")
    assert offline.source_id == "GAS-0001"
    assert offline.raised_at_ms == T0 + S + 15 * MIN
    assert len(await harness.store.open_alerts()) == 2


async def test_device_alarm_and_lel_threshold_share_one_gas_leak_alert(harness: Harness) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0, 0.0), gas_event("GAS-0001", T0 + S, "alarm_high")])
    alert = only(engine)
    assert (alert.rule, alert.severity) == ("gas_leak", Severity.CRITICAL)
    await engine.accept([gas("GAS-0001", T0 + 2 * S, 25.0)])
    await engine.accept([gas_event("GAS-0001", T0 + 3 * S, "alarm_cleared")])
    still = only(engine)
    assert (still.id, still.severity, still.condition_active) == (alert.id, Severity.MAJOR, True)
    await engine.accept([gas("GAS-0001", T0 + 4 * S, 5.0)])
    assert only(engine).state is AlertState.CLEARED_UNACKED
    everything, total = await harness.store.query(AlertQuery())
    assert total == 1
    assert everything[0].id == alert.id


async def test_channel_set_points_from_the_registry_are_used(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0002", T0, 12.0), gas("GAS-0001", T0, 12.0)])
    alert = only(harness.engine)
    assert (alert.source_id, alert.severity, alert.threshold) == ("GAS-0002", Severity.MAJOR, 10)


async def test_value_oscillating_around_the_threshold_500_times_makes_one_alert(
    harness: Harness,
) -> None:
    readings = [gas("GAS-0001", T0 + i * S, 21.0 if i % 2 else 19.0) for i in range(500)]
    await harness.engine.accept(readings)
    alert = only(harness.engine)
    assert alert.count == 499  # every reading after the first holds (19 >= 20 - 2)
    assert harness.drain() == [("gas_leak", "GAS-0001", "active_unacked")]
    wide = [gas("GAS-0001", T0 + (500 + i) * S, 25.0 if i % 2 else 15.0) for i in range(500)]
    await harness.engine.accept(wide)  # clears and re-trips: same unacked alert
    assert only(harness.engine).id == alert.id
    _, total = await harness.store.query(AlertQuery())
    assert total == 1


async def test_late_record_does_not_move_the_rule_backwards(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0 + 10 * S, 60.0)])
    await harness.engine.accept([gas("GAS-0001", T0 + 5 * S, 0.0)])
    assert only(harness.engine).condition_active


async def test_batch_is_evaluated_in_event_time_order(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0 + S, 0.0), gas("GAS-0001", T0, 60.0)])
    assert only(harness.engine).state is AlertState.CLEARED_UNACKED


def heating_alerts(engine: AlertEngine) -> list[Alert]:
    """Open alerts of stations and enterprises (the gas channels of the test registry
    never report, so they go offline too once the wall clock has moved 15 minutes)."""
    kinds = (SourceKind.STATION, SourceKind.ENTERPRISE)
    return [a for a in engine.open.alerts() if a.source_kind in kinds]


async def test_enterprise_outage_raises_one_alert_not_one_per_station(harness: Harness) -> None:
    engine = harness.engine
    ids = ["HEAT-001-S01", "HEAT-001-S02", "HEAT-001-S03", "HEAT-002-S01"]
    await engine.accept([station(s, T0, indoor_temp_c=20.0) for s in ids])
    for minute in range(5, 41, 5):  # only HEAT-002 keeps sharing, live
        harness.clock.now = T0 + minute * MIN
        await engine.accept([station("HEAT-002-S01", T0 + minute * MIN, indoor_temp_c=20.0)])
        await engine.tick()
    (alert,) = heating_alerts(engine)
    assert (alert.rule, alert.source_id, alert.category) == (
        "enterprise_offline",
        "HEAT-001",
        AlertCategory.OFFLINE,
    )
    assert alert.raised_at_ms == T0 + 15 * MIN  # the enterprise times out with its stations
    assert engine.open.source_state("HEAT-001-S02") == "offline"
    # one station comes back: the enterprise clears, the two still silent are now offline
    harness.clock.now = T0 + 41 * MIN
    await engine.accept([station("HEAT-001-S01", T0 + 41 * MIN, indoor_temp_c=20.0)])
    await engine.tick()
    offline = sorted((a.rule, a.source_id) for a in heating_alerts(engine) if a.condition_active)
    assert offline == [("station_offline", "HEAT-001-S02"), ("station_offline", "HEAT-001-S03")]
    assert engine.open.source_state("HEAT-001-S01") == "normal"


async def test_enterprise_outage_with_staggered_stations_raises_only_the_enterprise_alert(
    harness: Harness,
) -> None:
    engine = harness.engine
    # the three stations of HEAT-001 last spoke one minute apart, as real stations do
    for offset, station_id in enumerate(["HEAT-001-S01", "HEAT-001-S02", "HEAT-001-S03"]):
        await engine.accept([station(station_id, T0 + offset * MIN, indoor_temp_c=20.0)])
    for second in range(0, 25 * 60, 30):  # HEAT-002 keeps sharing, live
        harness.clock.now = T0 + second * S
        await engine.accept([station("HEAT-002-S01", T0 + second * S, indoor_temp_c=20.0)])
        await engine.tick()
    assert [(a.rule, a.source_id) for a in heating_alerts(engine)] == [
        ("enterprise_offline", "HEAT-001")
    ]


async def test_a_device_never_heard_from_goes_offline_a_timeout_after_the_start(
    harness: Harness,
) -> None:
    # GAS-0002 reports for 90 minutes of its feed (gas-a); GAS-0001 of the same feed never
    await harness.engine.accept([gas("GAS-0002", T0 + i * 10 * MIN, 0.0) for i in range(10)])
    await harness.engine.tick()
    offline = only(harness.engine)
    assert (offline.rule, offline.source_id) == ("gas_offline", "GAS-0001")
    assert offline.raised_at_ms == T0 + 15 * MIN  # armed when the engine started (T0)
    # the heating feeds were never heard and the wall clock stood still: nothing else


async def test_stations_of_an_enterprise_that_never_reported_get_one_enterprise_alert(
    harness: Harness,
) -> None:
    engine = harness.engine
    for minute in range(0, 31, 5):  # live: HEAT-002 reports, HEAT-001 never does
        harness.clock.now = T0 + minute * MIN
        await engine.accept([station("HEAT-002-S01", T0 + minute * MIN, indoor_temp_c=20.0)])
        await engine.tick()
    assert [(a.rule, a.source_id, a.raised_at_ms) for a in heating_alerts(engine)] == [
        ("enterprise_offline", "HEAT-001", T0 + 15 * MIN)
    ]
    assert engine.open.source_state("HEAT-001-S02") == "offline"


async def test_a_feed_behind_is_judged_by_its_own_progress_not_by_a_live_feed(
    harness: Harness,
) -> None:
    engine = harness.engine
    harness.clock.now = T0 + 60 * MIN  # the wall clock; HEAT-001 replays an hour late
    for minute in range(20):
        harness.clock.now += MIN
        late = [station(s, T0 + minute * MIN, indoor_temp_c=20.0) for s in HEAT_001]
        await engine.accept(late)
        live = harness.clock.now  # HEAT-002 is live, an hour ahead of HEAT-001
        await engine.accept([station("HEAT-002-S01", live, indoor_temp_c=20.0)])
        await engine.tick()
        assert heating_alerts(engine) == []
    assert engine.times.now_of("HEAT-001-S01") == T0 + 19 * MIN
    assert engine.times.now_of("HEAT-002-S01") == harness.clock.now
    assert engine.open.source_state("HEAT-001-S01") == "normal"
    # then HEAT-001 stops: its feed runs on with the wall clock and goes offline
    stopped = harness.clock.now
    for _ in range(16):
        harness.clock.now += MIN
        await engine.accept([station("HEAT-002-S01", harness.clock.now, indoor_temp_c=20.0)])
        await engine.tick()
    assert [(a.rule, a.source_id) for a in heating_alerts(engine)] == [
        ("enterprise_offline", "HEAT-001")
    ]
    assert engine.times.now_of("HEAT-001-S01") == T0 + 19 * MIN + (harness.clock.now - stopped)


async def test_a_whole_feed_stopping_in_a_fast_replay_goes_offline_in_replay_time(
    harness: Harness,
) -> None:
    """A replay of the city (all feeds at once, the wall clock hardly moving): a feed
    that stops is silent at the pace of most feeds, as it would be in a real day."""
    base = harness.registry
    harness.registry = Registry(
        base.utilities.values(),
        base.channels.values(),
        [*base.enterprises.values(), Enterprise("HEAT-003", "E3", "李沧", "heat-003", 36, 120)],
        [*base.stations.values(), Station("HEAT-003-S01", "HEAT-003", "s", "李沧", 36, 120, 1e4)],
        base.meters.values(),
    )
    engine = harness.engine = harness.new_engine()
    await engine.start()
    harness.clock.now = T0 + 24 * 60 * MIN  # the replay runs a day behind the wall clock
    for minute in range(40):
        harness.clock.now += 100  # 100 ms of wall time per replayed minute
        records = [station(s, T0 + minute * MIN, indoor_temp_c=20.0) for s in OTHERS]
        records += [gas("GAS-0002", T0 + minute * MIN, 1.0)]
        if minute <= 10:
            records += [station(s, T0 + minute * MIN, indoor_temp_c=20.0) for s in HEAT_001]
        await engine.accept(records)
        await engine.tick()
    alerts = [(a.rule, a.source_id, a.raised_at_ms) for a in heating_alerts(engine)]
    assert alerts == [("enterprise_offline", "HEAT-001", T0 + 25 * MIN)]


async def test_closed_while_active_re_raises_only_after_clear_and_re_trip(
    harness: Harness,
) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0, 30.0)])
    first = only(engine)
    await engine.act(first.id, AlertCommand(AlertAction.CLOSE, "op1", "known, crew on site"))
    await engine.accept([gas("GAS-0001", T0 + S, 35.0)])
    assert engine.open.alerts() == []
    await engine.stop()
    engine = harness.new_engine()  # the latch survives a restart
    await engine.start()
    await engine.accept([gas("GAS-0001", T0 + 2 * S, 40.0)])
    assert engine.open.alerts() == []
    await engine.accept([gas("GAS-0001", T0 + 3 * S, 0.0), gas("GAS-0001", T0 + 4 * S, 30.0)])
    second = only(engine)
    assert second.id != first.id


async def test_shelved_alert_is_silent_and_returns_when_the_shelf_expires(
    harness: Harness,
) -> None:
    engine = harness.engine
    await engine.accept([gas("GAS-0001", T0, 30.0)])
    alert = only(engine)
    await engine.act(alert.id, AlertCommand(AlertAction.SHELVE, "op1", shelve_ms=10 * MIN))
    harness.drain()
    await engine.accept([gas("GAS-0001", T0 + S, 60.0), gas("GAS-0001", T0 + 2 * S, 0.0)])
    await engine.accept([gas("GAS-0001", T0 + 3 * S, 30.0)])
    assert harness.drain() == []
    shelved = only(engine)
    assert (shelved.state, shelved.condition_active) == (AlertState.SHELVED, True)
    harness.clock.now = T0 + 10 * MIN
    await engine.tick()
    back = only(engine)
    assert back.state is AU
    assert harness.drain() == [("gas_leak", "GAS-0001", "active_unacked")]
    with pytest.raises(TransitionError):
        await engine.act(back.id, AlertCommand(AlertAction.SHELVE, "op1"))  # no duration


async def test_momentary_tamper_waits_in_cleared_unacked_and_repeats_reuse_it(
    harness: Harness,
) -> None:
    engine = harness.engine
    await engine.accept([gas_event("GAS-0001", T0, "tamper")])
    alert = only(engine)
    assert (alert.rule, alert.state, alert.severity) == (
        "gas_tamper",
        AlertState.CLEARED_UNACKED,
        Severity.MAJOR,
    )
    await engine.accept([gas_event("GAS-0001", T0 + S, "tamper")])
    again = only(engine)
    assert (again.id, again.state, again.count) == (alert.id, AlertState.CLEARED_UNACKED, 2)
    acked = await engine.act(alert.id, AlertCommand(AlertAction.ACK, "op1"))
    assert acked.state is AlertState.CLOSED


async def test_meter_alarm_flag_raises_and_a_reading_without_it_clears(harness: Harness) -> None:
    engine = harness.engine
    await engine.accept([meter("MTR-00000001", T0, "micro_leak", "low_battery")])
    rules = sorted(a.rule for a in engine.open.alerts())
    assert rules == ["meter_low_battery", "meter_micro_leak"]
    assert engine.open.source_state("MTR-00000001") == "alarm"
    await engine.accept([meter("MTR-00000001", T0 + S, "low_battery")])
    leak = only(engine, "meter_micro_leak")
    assert leak.state is AlertState.CLEARED_UNACKED
    assert only(engine, "meter_low_battery").condition_active
    assert engine.open.source_state("MTR-00000001") == "normal"  # low battery is info


async def test_device_fault_event_raises_a_fault_alert(harness: Harness) -> None:
    await harness.engine.accept([gas_event("GAS-0001", T0, "fault")])
    assert harness.engine.open.source_state("GAS-0001") == "fault"
    await harness.engine.accept([gas_event("GAS-0001", T0 + S, "heartbeat")])
    assert only(harness.engine).condition_active
    await harness.engine.accept([gas_event("GAS-0001", T0 + 2 * S, "fault_cleared")])
    assert harness.engine.open.source_state("GAS-0001") == "normal"


async def test_under_heating_needs_30_minutes_of_event_time(harness: Harness) -> None:
    s = "HEAT-001-S01"
    await harness.engine.accept([station(s, T0 + m * MIN, indoor_temp_c=17.0) for m in (0, 29)])
    assert harness.engine.open.alerts() == []
    await harness.engine.accept([station(s, T0 + 30 * MIN, indoor_temp_c=17.2)])
    alert = only(harness.engine)
    assert (alert.rule, alert.enterprise_id, alert.utility_id) == (
        "station_underheating",
        "HEAT-001",
        "heat-001",
    )


class BrokenNotifier:
    async def notify(self, event: AlertEvent) -> None:
        raise ConnectionError("broker gone")


async def test_a_failing_notifier_is_counted_and_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    engine = AlertEngine(
        harness.rules,
        harness.registry,
        harness.store,
        [BrokenNotifier(), harness.broadcast],
        harness.clock,
        EngineOptions(),
        harness.metrics,
    )
    await engine.start()
    await engine.accept([gas("GAS-0001", T0, 60.0)])
    assert len(await harness.store.open_alerts()) == 1
    assert harness.drain() == [("gas_leak", "GAS-0001", "active_unacked")]
    failures = harness.metrics.registry.get_sample_value(
        "lifeline_alert_notifier_failures_total", {"notifier": "BrokenNotifier"}
    )
    assert failures == 1
    raised = harness.metrics.registry.get_sample_value(
        "lifeline_alerts_raised_total", {"rule": "gas_leak", "severity": "critical"}
    )
    assert raised == 1
    await harness.store.close()


class FailingOnceStore(SqliteAlertStore):
    """The real store, whose first save fails (a full disk, say)."""

    fail = True

    async def save(self, alert: Alert, entry: AuditEntry | None) -> Alert:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        return await super().save(alert, entry)


async def test_a_failed_store_write_is_retried_until_stored_not_lost(tmp_path: Path) -> None:
    """A data-path transition waits out a failing store (alerts/durable.py): accept()
    returns only once the alert is stored, so the ingester never acks an alarm that is
    not an alert yet; the retry is counted."""
    harness = Harness(tmp_path)
    store = FailingOnceStore(tmp_path / "failing.db")
    engine = AlertEngine(
        harness.rules, harness.registry, store, [], harness.clock, metrics=harness.metrics
    )
    await engine.start()
    await engine.accept([gas("GAS-0001", T0, 60.0)])
    assert not store.fail
    assert len(await store.open_alerts()) == 1
    assert harness.metrics.store_retries._value.get() == 1
    await store.close()
    await harness.store.close()


async def test_an_operator_action_on_a_failing_store_fails_fast(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    alert = only(harness.engine)
    store = FailingOnceStore(tmp_path / "failing2.db")
    harness.engine._store = store  # the next save fails once
    with pytest.raises(OSError, match="disk full"):
        await harness.engine.act(alert.id, AlertCommand(AlertAction.ACK, "op1"))
    await store.close()


async def test_run_ticks_in_the_background_and_expires_shelves(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    options = EngineOptions(tick_interval_s=0.01)
    engine = AlertEngine(
        harness.rules,
        harness.registry,
        harness.store,
        [harness.broadcast],
        harness.clock,
        options,
        harness.metrics,
    )
    await engine.start()
    await engine.accept([gas("GAS-0001", T0, 30.0)])
    shelve = AlertCommand(AlertAction.SHELVE, "op1", shelve_ms=MIN)
    alert = await engine.act(only(engine).id, shelve)
    harness.drain()
    task = asyncio.create_task(engine.run())
    try:
        harness.clock.now = T0 + MIN
        async with asyncio.timeout(2):
            event = await anext(harness.events)
        assert (event.id, event.state) == (alert.id, "active_unacked")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    stored = await harness.store.get(alert.id)
    assert stored is not None
    assert stored.state is AU
    await harness.store.close()


async def test_a_corrupt_snapshot_starts_fresh_and_keeps_open_alerts(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.engine.stop()
    (tmp := harness.tmp_path / "alert-state.msgpack").write_bytes(b"\xc1garbage")
    assert tmp.exists()
    engine = harness.new_engine()
    await engine.start()
    assert engine.watermark_ms == 0
    assert len(engine.open.alerts()) == 1
    await engine.accept([gas("GAS-0001", T0 + S, 0.0)])  # reconciled by the next record
    assert only(engine).state is AlertState.CLEARED_UNACKED


async def test_event_now_follows_the_watermark_then_the_wall_clock_when_data_stops(
    harness: Harness,
) -> None:
    engine = harness.engine
    harness.clock.now = T0 + 600 * MIN  # the wall clock is far ahead: a replay of the past
    assert engine.times.now_ms() == T0 + 600 * MIN  # nothing seen yet: the wall clock
    await engine.accept([gas("GAS-0001", T0, 1.0)])
    assert engine.times.now_ms() == T0  # data flowing: the watermark
    harness.clock.now += 20 * MIN  # then all data stops for 20 wall minutes
    assert engine.times.now_ms() == T0 + 20 * MIN
    # a device clock 4 min fast moves the watermark past the wall clock: capped at the wall
    await engine.accept([gas("GAS-0002", harness.clock.now + 4 * MIN, 1.0)])
    assert engine.times.now_ms() == harness.clock.now


async def test_a_restart_counts_silence_from_the_restart_even_from_an_older_snapshot(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 1.0), gas("GAS-0002", T0, 1.0)])
    await harness.engine.stop()
    path = harness.tmp_path / "alert-state.msgpack"
    saved = msgspec.msgpack.decode(path.read_bytes())
    assert saved["feeds"] == {"gas-a": T0}
    saved["feeds"] = {}  # as written before feeds were kept
    path.write_bytes(msgspec.msgpack.encode(saved))
    harness.clock.now = T0 + 60 * MIN  # the platform was down for an hour
    engine = harness.new_engine()
    await engine.start()
    await engine.tick()
    assert engine.open.alerts() == []  # the downtime is not the channels' silence
    assert engine.times.now_of("GAS-0001") == T0
    harness.clock.now += 16 * MIN  # then nothing is heard: offline, on the wall clock
    await engine.tick()
    offline = sorted((a.rule, a.source_id, a.raised_at_ms) for a in engine.open.alerts())
    restarted = T0 + 60 * MIN
    assert offline == [
        ("enterprise_offline", "HEAT-001", restarted + 15 * MIN),  # never heard: from the
        ("enterprise_offline", "HEAT-002", restarted + 15 * MIN),  # restart, one per
        ("gas_offline", "GAS-0001", T0 + 15 * MIN),  # enterprise; heard: from their
        ("gas_offline", "GAS-0002", T0 + 15 * MIN),  # last record (the feed's clock)
    ]


async def test_a_suppressed_source_raises_out_of_service_audited_and_unannounced(
    tmp_path: Path,
) -> None:
    """A source in a maintenance window: its new alerts are recorded, not announced."""
    store = SqliteAlertStore(tmp_path / "lifeline.db")
    broadcast = BroadcastNotifier()
    engine = AlertEngine(
        load_rules(None),
        make_registry(),
        store,
        [broadcast],
        FakeClock(),
        EngineOptions(suppressed=lambda s, _: "maintenance #7" if s == "GAS-0001" else None),
        AlertMetrics.on(CollectorRegistry()),
    )
    await engine.start()
    with broadcast.subscribe() as events:
        await engine.accept([gas("GAS-0001", T0, 60.0), gas("GAS-0002", T0, 60.0)])
        announced = [events._queue.get_nowait().source_id for _ in range(events._queue.qsize())]
    states = {a.source_id: a.state for a in engine.open.alerts()}
    assert states == {"GAS-0001": AlertState.OUT_OF_SERVICE, "GAS-0002": AlertState.ACTIVE_UNACKED}
    assert announced == ["GAS-0002"]
    [raised] = await store.audit(
        next(a.id for a in engine.open.alerts() if a.source_id == "GAS-0001")
    )
    assert raised.note is not None
    assert "maintenance #7" in raised.note
    await store.close()
