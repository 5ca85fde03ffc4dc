"""Shared helpers for simulator tests: a small registry, a run, decoded messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import msgspec

from lifeline.core.payloads import Envelope, GasEvent, GasReading, MeterReading, StationTelemetry
from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station, Utility
from lifeline.core.topics import InboundTopic, RecordKind, parse_inbound
from simulators.clock import SteppedClock
from simulators.publish import RecordingPublisher
from simulators.runner import RunStats, Simulation, SimulationConfig
from simulators.scenarios import ScenarioSpec

# 2023-12-01 00:00 local (UTC+8), in the heating season.
START_MS = 1_701_360_000_000
MINUTE = 60_000
HOUR = 3_600_000

Body = GasReading | GasEvent | MeterReading | StationTelemetry
B = TypeVar("B", GasReading, GasEvent, MeterReading, StationTelemetry)

_TYPES: dict[RecordKind, type[Body]] = {
    RecordKind.GAS_READING: GasReading,
    RecordKind.GAS_EVENT: GasEvent,
    RecordKind.METER_READING: MeterReading,
    RecordKind.STATION_TELEMETRY: StationTelemetry,
}


@dataclass(frozen=True)
class Received:
    """One decoded record: its topic, its body and whether it came in a batch."""

    topic: InboundTopic
    body: Body
    batch_size: int | None

    @property
    def ts(self) -> int:
        return ts(self.body)


def ts(body: Body) -> int:
    """The record's ``ts`` (the simulators always send integer epoch ms)."""
    assert isinstance(body.ts, int)
    return body.ts


def small_registry(meters: int = 3) -> Registry:
    """3 channels (kitchen, manhole, restaurant), 2 enterprises x 2 stations, N meters."""
    sites = ["kitchen", "utility_manhole", "restaurant"]
    channels = [
        Channel(f"GAS-{n:04d}", f"ch {n}", "市南", site, "addr", 36.07, 120.38, "gas-test")
        for n, site in enumerate(sites, start=1)
    ]
    enterprises = [
        Enterprise(f"HEAT-{n:03d}", f"ent {n}", "市北", f"heat-{n:03d}", 36.09, 120.37)
        for n in (1, 2)
    ]
    stations = [
        Station(f"{e.id}-S{k:02d}", e.id, f"st {k}", "市北", 36.09, 120.37, 60_000.0 * k)
        for e in enterprises
        for k in (1, 2)
    ]
    meter_list = [
        Meter(f"MTR-{n:08d}", "gas-test", "李沧", "addr", 36.15, 120.43, "G1.6")
        for n in range(1, meters + 1)
    ]
    utilities = [Utility("gas-test", "gas", "gas")] + [
        Utility(e.owner, e.name, "heating") for e in enterprises
    ]
    return Registry(utilities, channels, enterprises, stations, meter_list)


async def simulate(
    registry: Registry,
    duration_ms: int,
    scenarios: Sequence[ScenarioSpec] = (),
    start_ms: int = START_MS,
    **options: object,
) -> tuple[list[Received], RunStats, Simulation]:
    """Run on a stepped clock into a recording publisher and decode everything."""
    config = SimulationConfig(duration_s=duration_ms / 1000, **options)  # type: ignore[arg-type]
    simulation = Simulation(registry, config, SteppedClock(start_ms), scenarios)
    publisher = RecordingPublisher()
    stats = await simulation.run(publisher)
    return [r for t, p in publisher.messages for r in decode(t, p)], stats, simulation


def decode(topic: str, payload: bytes) -> list[Received]:
    """Decode one message exactly as the contract says (raises on any violation)."""
    parsed = parse_inbound(topic)
    kind = _TYPES[parsed.kind]
    envelope = msgspec.json.decode(payload, type=Envelope)
    if isinstance(envelope.batch, msgspec.UnsetType):
        return [Received(parsed, msgspec.json.decode(payload, type=kind), None)]
    assert 1 <= len(envelope.batch) <= 1000
    return [
        Received(parsed, msgspec.json.decode(raw, type=kind), len(envelope.batch))
        for raw in envelope.batch
    ]


def of(received: list[Received], kind: type[Body], source_id: str | None = None) -> list[Received]:
    return [
        r
        for r in received
        if isinstance(r.body, kind) and (source_id is None or r.topic.source_id == source_id)
    ]


def bodies(received: list[Received], kind: type[B], source_id: str | None = None) -> list[B]:
    """The decoded bodies of one type (and source), in publish order."""
    return [
        r.body
        for r in of(received, kind, source_id)
        if isinstance(r.body, kind)  # narrows for the type checker
    ]
