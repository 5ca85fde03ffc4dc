"""Every simulator scenario produces the alert it should, through the real decoder, rule
engine and SQLite alert store; a clean run produces none.

The simulators publish into a recorder on a stepped clock (hours of event time in
seconds); each message then goes through ``ingest.decode_message`` and
``AlertEngine.accept`` exactly as the ingester would hand it over.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from alerts.engine import AlertEngine
from alerts.rules import load_rules
from ingest.decode import decode_message
from lifeline.core.alert import Alert, AlertQuery
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.seed import generate_registry
from simulators.clock import SteppedClock
from simulators.publish import RecordingPublisher
from simulators.runner import Simulation, SimulationConfig
from simulators.scenarios import KINDS, ScenarioSpec, parse_scenario
from store import SqliteAlertStore

HOUR_S = 3600.0


class WallClock:
    def now_ms(self) -> int:
        return now_ms()


def city_slice(channels: int, enterprises: int, meters: int) -> Registry:
    """The first sources of the seeded city registry (same metadata, fewer of them)."""
    city = generate_registry(meters=meters)
    keep_channels = sorted(city.channels)[:channels]
    keep_enterprises = sorted(city.enterprises)[:enterprises]
    return Registry(
        city.utilities.values(),
        [city.channels[c] for c in keep_channels],
        [city.enterprises[e] for e in keep_enterprises],
        [s for s in city.stations.values() if s.enterprise_id in keep_enterprises],
        city.meters.values(),
    )


async def replay(
    registry: Registry, duration_s: float, specs: Sequence[ScenarioSpec], tmp: Path
) -> list[Alert]:
    """Simulate ``duration_s`` ending now, feed every message through decode + engine."""
    start = now_ms() - int(duration_s * 1000)
    config = SimulationConfig(duration_s=duration_s, ground_truth_path=tmp / "truth.jsonl")
    publisher = RecordingPublisher()
    await Simulation(registry, config, SteppedClock(start), specs).run(publisher)

    store = SqliteAlertStore(tmp / "alerts.db")
    engine = AlertEngine(load_rules(None), registry, store, [], WallClock())
    await engine.start()
    rejected: list[str] = []
    for count, (topic, payload) in enumerate(publisher.messages):
        decoded = decode_message(topic, payload, registry=registry, now_ms=now_ms())
        rejected += [f"{topic}: {r.reason} {r.detail}" for r in decoded.rejects]
        await engine.accept(decoded.records)
        if count % 200 == 0:
            await engine.tick()
    await engine.tick()
    await engine.stop()
    assert rejected == [], rejected[:5]  # the simulators speak the contract exactly
    alerts, _ = await store.query(AlertQuery(limit=10_000))
    await store.close()
    return alerts


SCENARIOS = [
    "gas_leak_ramp:GAS-0001@+10m",
    "sensor_drift:GAS-0002@+5m,rate_pct_per_h=12",
    "stuck_sensor:GAS-0003@+10m",
    "detector_offline:GAS-0004@+10m",
    "meter_continuous_flow:MTR-00000001@+10m,alarm_after_h=2",
    "station_pipe_burst:HEAT-001-S01@+20m",
    "under_heating:HEAT-002-S01@+20m",
    "enterprise_stops_sending:HEAT-003@+30m",
]


@pytest.mark.slow
async def test_each_scenario_raises_its_expected_alert_and_nothing_else(tmp_path: Path) -> None:
    registry = city_slice(channels=20, enterprises=5, meters=30)
    specs = [parse_scenario(text) for text in SCENARIOS]
    alerts = await replay(registry, 4 * HOUR_S, specs, tmp_path)

    raised = {(a.source_id, a.rule) for a in alerts}
    for spec in specs:
        assert (spec.target, KINDS[spec.kind].expected_rule) in raised, (spec, sorted(raised))
    targets = {spec.target for spec in specs}
    stray = sorted(
        (a.source_id, a.rule)
        for a in alerts
        if a.source_id not in targets and registry.enterprise_of(a.source_id) not in targets
    )
    assert stray == []  # no false alert on any source that had no fault injected
    # one alert per enterprise outage, not one per station
    assert not [a for a in alerts if a.rule == "station_offline"]


async def test_a_clean_ten_minute_run_of_the_whole_city_raises_no_alert(tmp_path: Path) -> None:
    registry = generate_registry(meters=300)
    alerts = await replay(registry, 600.0, [], tmp_path)
    assert [(a.source_id, a.rule, a.message) for a in alerts] == []
