"""Clean and faulty series for the domain detector tests, straight from the simulators."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from ingest.decode import decode_message
from lifeline.core.records import Record, numeric_fields
from lifeline.core.registry import Registry
from lifeline.seed import generate_registry
from simulators.gas import GasChannelSim
from simulators.heating import StationSim, Weather
from simulators.meters import MeterSim
from simulators.scenarios import SourcePool, parse_scenario, resolve_scenarios
from simulators.source import Source

SEED = 20230701
HOUR = 3_600_000
MIN = 60_000
# 2026-11-20 04:00 UTC = 12:00 local (UTC+8), in the heating season.
T0 = 1_795_147_200_000


@cache
def city() -> Registry:
    return generate_registry(meters=50)


def simulate(
    source_id: str, hours: float, scenarios: Sequence[str] = (), start_ms: int = T0
) -> list[Record]:
    """Records of one simulated source over ``hours`` (scenarios like the CLI's)."""
    registry = city()
    pool = SourcePool(
        channels=tuple(sorted(registry.channels)),
        stations=tuple(sorted(registry.stations)),
        enterprises=tuple(sorted(registry.enterprises)),
        meters=tuple(sorted(registry.meters)),
    )
    resolved = resolve_scenarios([parse_scenario(s) for s in scenarios], pool, start_ms, SEED)
    sim: Source
    if source_id in registry.channels:
        sim = GasChannelSim(registry.channels[source_id], SEED, start_ms, resolved)
    elif source_id in registry.stations:
        station = registry.stations[source_id]
        sim = StationSim(station, SEED, start_ms, resolved, weather=Weather(SEED))
    else:
        sim = MeterSim(registry.meters[source_id], SEED, start_ms, resolved)
    end = start_ms + int(hours * HOUR)
    records: list[Record] = []
    while (due := sim.next_due_ms()) is not None and due < end:
        for emission in sim.emit(due):
            decoded = decode_message(
                emission.topic, emission.payload, registry=registry, now_ms=end
            )
            records.extend(decoded.records)
    return sorted(records, key=lambda r: r.ts_ms)


def series(records: Iterable[Record], metric: str) -> list[tuple[int, float]]:
    out = []
    for record in records:
        value = dict(numeric_fields(record)).get(metric)
        if value is not None:
            out.append((record.ts_ms, value))
    return out


def rows(records: Iterable[Record], metrics: Sequence[str]) -> list[tuple[int, dict[str, float]]]:
    out = []
    for record in records:
        values = dict(numeric_fields(record))
        picked = {m: values[m] for m in metrics if m in values}
        if picked:
            out.append((record.ts_ms, picked))
    return out
