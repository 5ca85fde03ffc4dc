"""Maintenance windows on a real engine and SQLite stores: new alerts of a source in
maintenance are raised out of service and not announced; at the window's start its open
alerts go out of service, at its end those the maintenance put there come back."""

from __future__ import annotations

from pathlib import Path

import msgspec

from alerts.engine import AlertEngine, EngineOptions
from alerts.maintenance import MaintenanceSchedule
from alerts.maintenance_runner import MaintenanceRunner
from lifeline.core.alert import Alert, AlertAction, AlertCommand, AlertState
from lifeline.core.maintenance import MaintenanceWindow
from store import SqliteMaintenanceStore
from tests.alerts.conftest import MIN, T0, Harness, gas, gas_event, make_registry

OOS = AlertState.OUT_OF_SERVICE


class Maintained:
    """A harness whose engine reads a maintenance schedule, with its runner."""

    def __init__(self, tmp_path: Path, worker: str = "engine") -> None:
        self.h = Harness(tmp_path)
        self.windows = SqliteMaintenanceStore(tmp_path / "alerts.db")
        self.schedule = MaintenanceSchedule(self.h.registry)
        self.worker = worker
        self.engine = self._engine()
        self.runner = self.new_runner()

    def _engine(self) -> AlertEngine:
        options = EngineOptions(suppressed=self.schedule.reason)
        h = self.h
        return AlertEngine(h.rules, h.registry, h.store, [h.broadcast], h.clock, options, h.metrics)

    def new_runner(self) -> MaintenanceRunner:
        return MaintenanceRunner(
            self.schedule,
            self.windows,
            self.h.store,
            self.engine,
            self.engine.open,
            self.h.registry,
            self.h.clock,
            worker=self.worker,
        )

    async def plan(self, target: str, start: int, end: int) -> MaintenanceWindow:
        window = MaintenanceWindow(target, start, end, "valve work", "admin", self.h.clock.now)
        return await self.windows.add(window)

    async def at(self, now_ms: int) -> None:
        self.h.clock.now = now_ms
        await self.runner.step()

    def state(self, source: str, rule: str = "gas_leak") -> Alert:
        [alert] = [a for a in self.engine.open.alerts() if (a.source_id, a.rule) == (source, rule)]
        return alert

    async def close(self) -> None:
        await self.windows.close()
        await self.h.store.close()


async def test_a_leak_in_the_window_is_out_of_service_unannounced_and_after_it_raises(
    tmp_path: Path,
) -> None:
    m = Maintained(tmp_path)
    try:
        await m.engine.start()
        await m.plan("GAS-0001", T0 + 10 * MIN, T0 + 70 * MIN)  # scheduled ahead
        await m.at(T0)
        await m.at(T0 + 10 * MIN)
        await m.engine.accept([gas("GAS-0001", T0 + 11 * MIN, 60.0)])
        leak = m.state("GAS-0001")
        assert leak.state is OOS
        assert m.h.drain() == []  # nobody was alerted
        [raised] = await m.h.store.audit(leak.id)
        assert "maintenance window #1: valve work" in (raised.note or "")
        await m.engine.accept([gas("GAS-0001", T0 + 12 * MIN, 0.0)])  # cleared in the window
        await m.at(T0 + 70 * MIN)  # the end: back to service, nothing active: closed
        assert [a for a in m.engine.open.alerts() if a.source_id == "GAS-0001"] == []
        trail = await m.h.store.audit(leak.id)
        assert (trail[0].action, trail[0].actor, trail[0].to_state) == (
            "return_to_service",
            "maintenance",
            AlertState.CLOSED,
        )
        assert m.h.drain() == [("gas_leak", "GAS-0001", "closed")]  # the live view's update
        await m.engine.accept([gas("GAS-0001", T0 + 71 * MIN, 60.0)])
        assert m.state("GAS-0001").state is AlertState.ACTIVE_UNACKED
        assert m.h.drain() == [("gas_leak", "GAS-0001", "active_unacked")]
    finally:
        await m.close()


async def test_start_takes_open_alerts_out_and_end_returns_only_the_maintenances(
    tmp_path: Path,
) -> None:
    m = Maintained(tmp_path)
    try:
        await m.engine.start()
        await m.engine.accept([gas("GAS-0001", T0, 60.0), gas_event("GAS-0001", T0, "power_lost")])
        power = m.state("GAS-0001", "gas_power")
        await m.engine.act(power.id, AlertCommand(AlertAction.OUT_OF_SERVICE, "op1", "site"))
        await m.plan("GAS-0001", T0 + MIN, T0 + 60 * MIN)
        await m.plan("GAS-0002", T0 + MIN, T0 + 60 * MIN)
        m.h.drain()
        await m.at(T0 + MIN)
        leak = m.state("GAS-0001")
        assert (leak.state, (await m.h.store.audit(leak.id))[0].actor) == (OOS, "maintenance")
        await m.at(T0 + 60 * MIN)
        assert m.state("GAS-0001").state is AlertState.ACTIVE_UNACKED  # still leaking
        assert m.state("GAS-0001", "gas_power").state is OOS  # the operator's stays
        assert ("gas_leak", "GAS-0001", "active_unacked") in m.h.drain()
    finally:
        await m.close()


async def test_a_restart_neither_repeats_nor_forgets_a_phase(tmp_path: Path) -> None:
    m = Maintained(tmp_path)
    try:
        await m.engine.start()
        await m.engine.accept([gas("GAS-0001", T0, 60.0)])
        await m.plan("GAS-0001", T0 + MIN, T0 + 60 * MIN)
        await m.at(T0 + MIN)
        leak = m.state("GAS-0001")
        back = AlertCommand(AlertAction.RETURN_TO_SERVICE, "op1", "needed now")
        await m.engine.act(leak.id, back)  # an operator brings it back during the window
        m.runner = m.new_runner()  # a restarted process, same worker
        await m.at(T0 + 2 * MIN)
        assert m.state("GAS-0001").state is AlertState.ACTIVE_UNACKED  # not taken again
    finally:
        await m.close()


async def test_cancelling_ends_a_window_early_unless_another_covers_the_source(
    tmp_path: Path,
) -> None:
    m = Maintained(tmp_path)
    try:
        await m.engine.start()
        await m.engine.accept([gas("GAS-0001", T0, 60.0)])
        short = await m.plan("GAS-0001", T0 + MIN, T0 + 30 * MIN)
        await m.plan("GAS-0001", T0 + MIN, T0 + 90 * MIN)
        await m.at(T0 + MIN)
        await m.windows.update(
            msgspec.structs.replace(short, cancelled_by="admin", cancelled_at_ms=T0 + 2 * MIN)
        )
        await m.at(T0 + 2 * MIN)
        assert m.state("GAS-0001").state is OOS  # the long window still covers it
        await m.at(T0 + 90 * MIN)
        assert m.state("GAS-0001").state is AlertState.ACTIVE_UNACKED
    finally:
        await m.close()


def test_an_enterprise_window_covers_its_stations_on_a_half_open_range() -> None:
    schedule = MaintenanceSchedule(make_registry())
    window = MaintenanceWindow("HEAT-001", T0, T0 + MIN, "pump", "admin", T0, id=3)
    cancelled = msgspec.structs.replace(window, id=4, target_id="GAS-0002", cancelled_at_ms=T0)
    schedule.load([window, cancelled], 1)
    assert schedule.reason("HEAT-001-S02", T0) == "maintenance window #3: pump"
    assert schedule.reason("HEAT-001", T0 + MIN - 1) is not None
    assert schedule.reason("HEAT-001-S02", T0 + MIN) is None
    assert schedule.reason("HEAT-002-S01", T0) is None
    assert schedule.reason("GAS-0002", T0) is None
