"""Fixtures of the alert tests: a small registry, a settable clock, record builders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from alerts.engine import AlertEngine, EngineOptions
from alerts.metrics import AlertMetrics
from alerts.notify_memory import BroadcastNotifier
from alerts.rules import RuleSet, load_rules
from lifeline.core.payloads import (
    GasEvent,
    GasEventType,
    GasReading,
    MeterAlarm,
    MeterReading,
    StationTelemetry,
)
from lifeline.core.records import Record
from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station, Utility
from lifeline.core.topics import RecordKind
from store.sqlite_alerts import SqliteAlertStore

T0 = 1_763_000_000_000  # event time origin of the tests (Nov 2025)
MIN = 60_000


class FakeClock:
    def __init__(self, now_ms: int = T0) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def make_registry() -> Registry:
    utilities = [Utility("gas-a", "Gas A", "gas"), Utility("heat-001", "Heat 1", "heating")]
    channels = [
        Channel("GAS-0001", "c1", "市南", "kitchen", "addr", 36.0, 120.0, "gas-a"),
        Channel("GAS-0002", "c2", "市北", "valve_well", "addr", 36.0, 120.0, "gas-a", 10.0, 40.0),
    ]
    enterprises = [
        Enterprise("HEAT-001", "E1", "李沧", "heat-001", 36.1, 120.4),
        Enterprise("HEAT-002", "E2", "李沧", "heat-002", 36.1, 120.4),
    ]
    stations = [
        Station(f"HEAT-001-S0{i}", "HEAT-001", f"s{i}", "李沧", 36.1, 120.4, 1e4)
        for i in range(1, 4)
    ] + [Station("HEAT-002-S01", "HEAT-002", "s", "李沧", 36.1, 120.4, 1e4)]
    meters = [Meter("MTR-00000001", "gas-a", "市南", "addr", 36.0, 120.0, "G1.6")]
    return Registry(utilities, channels, enterprises, stations, meters)


def gas(source: str, ts_ms: int, lel: float) -> Record:
    return Record(RecordKind.GAS_READING, source, ts_ms, GasReading(ts=ts_ms, lel_pct=lel))


def gas_event(source: str, ts_ms: int, kind: str, lel: float | None = None) -> Record:
    body = GasEvent(ts=ts_ms, type=GasEventType(kind), lel_pct=lel)
    return Record(RecordKind.GAS_EVENT, source, ts_ms, body)


def meter(source: str, ts_ms: int, *alarms: str) -> Record:
    body = MeterReading(ts=ts_ms, volume_m3=1.0, alarms=[MeterAlarm(a) for a in alarms])
    return Record(RecordKind.METER_READING, source, ts_ms, body)


def station(source: str, ts_ms: int, **fields: float) -> Record:
    body = StationTelemetry(ts=ts_ms, **fields)  # type: ignore[arg-type]
    return Record(RecordKind.STATION_TELEMETRY, source, ts_ms, body, source[:8])


class Harness:
    """An engine on a real SQLite alert store, with a broadcast notifier to listen on."""

    def __init__(self, tmp_path: Path, rules: RuleSet | None = None) -> None:
        self.tmp_path = tmp_path
        self.rules = rules or load_rules()
        self.registry = make_registry()
        self.clock = FakeClock()
        self.metrics = AlertMetrics(CollectorRegistry())
        self.store = SqliteAlertStore(tmp_path / "alerts.db")
        self.broadcast = BroadcastNotifier()
        self.events = self.broadcast.subscribe()
        self.engine = self.new_engine()

    def new_engine(self) -> AlertEngine:
        options = EngineOptions(state_path=self.tmp_path / "alert-state.msgpack")
        return AlertEngine(
            self.rules,
            self.registry,
            self.store,
            [self.broadcast],
            self.clock,
            options,
            self.metrics,
        )

    def drain(self) -> list[tuple[str, str, str]]:
        """Notified (rule, source, state) since the last drain."""
        return [(e.rule, e.source_id, e.state) for e in self.events.drain()]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    await h.engine.start()
    yield h
    await h.store.close()
