"""The simulation loop: every source in one time-ordered schedule, published in order.

One asyncio task pops the source due next from a heap, waits on the clock until its
time, publishes what it emits and pushes it back with its next due time. Scenario
ground truth is appended (JSON lines) when each scenario's start is reached.

``run_simulation`` wires a run from :class:`lifeline.settings.Settings` (registry, MQTT
publisher, accelerated clock) for ``lifeline simulate`` and ``lifeline up --simulate``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import logging
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

import msgspec

from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import MAX_PAST_MS
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.core.topics import DEFAULT_PREFIX
from lifeline.settings import Settings
from simulators.clock import AcceleratedClock, SimClock
from simulators.gas import GasChannelSim
from simulators.heating import StationSim, Weather
from simulators.meters import MeterSim
from simulators.publish import BrokerAddress, MqttPublisher, Publisher, parse_mqtt_url
from simulators.scenarios import (
    Scenario,
    ScenarioSpec,
    SourcePool,
    default_scenarios,
    parse_scenario,
    resolve_scenarios,
)
from simulators.source import Source

__all__ = ["ALL_KINDS", "RunStats", "Simulation", "SimulationConfig", "run_simulation"]

log = logging.getLogger(__name__)

ALL_KINDS: Final = frozenset({SourceKind.GAS_CHANNEL, SourceKind.STATION, SourceKind.METER})
_MAX_DURATION_S: Final = MAX_PAST_MS / 1000 - 86_400  # keep the oldest record acceptable
_YIELD_EVERY: Final = 500
_PROGRESS_MS: Final = 3_600_000  # log progress every simulated hour


@dataclass(frozen=True)
class SimulationConfig:
    """Options of one run.

    ``speed`` is simulated seconds per wall second (used to build the clock);
    ``duration_s`` ``None`` runs forever; ``meter_limit`` simulates only the first N
    meters (by id); ``ground_truth_path`` receives one JSON line per scenario started.
    """

    seed: int = 20230701
    speed: float = 1.0
    duration_s: float | None = None
    kinds: frozenset[SourceKind] = ALL_KINDS
    meter_limit: int | None = None
    station_period_s: float = 60.0
    meter_interval_min: int = 60
    prefix: str = DEFAULT_PREFIX
    ground_truth_path: Path | None = None

    def __post_init__(self) -> None:
        if not self.speed > 0 or math.isinf(self.speed):
            raise ConfigError(f"speed must be positive and finite, got {self.speed}")
        if self.duration_s is not None and not 0 < self.duration_s <= _MAX_DURATION_S:
            raise ConfigError(f"duration must be in (0, {_MAX_DURATION_S:.0f}] s")
        if not self.kinds <= ALL_KINDS:
            raise ConfigError(f"source kinds must be among {sorted(ALL_KINDS)}")
        if self.meter_limit is not None and self.meter_limit < 0:
            raise ConfigError("meter_limit must be >= 0")
        if not 1 <= self.station_period_s <= 300:
            raise ConfigError("station_period_s must be within 1..300 s")
        if self.meter_interval_min not in (15, 60):
            raise ConfigError("meter_interval_min must be 15 or 60")


@dataclass
class RunStats:
    """What a run published: messages per record kind (topic's last segment + family)."""

    messages: Counter[str] = field(default_factory=Counter)
    scenarios_started: int = 0
    last_ts_ms: int | None = None

    @property
    def total(self) -> int:
        return sum(self.messages.values())


def source_pool(registry: Registry, config: SimulationConfig) -> SourcePool:
    kinds = config.kinds
    meters = sorted(registry.meters) if SourceKind.METER in kinds else []
    if config.meter_limit is not None:
        meters = meters[: config.meter_limit]
    with_stations = SourceKind.STATION in kinds
    return SourcePool(
        channels=tuple(sorted(registry.channels)) if SourceKind.GAS_CHANNEL in kinds else (),
        stations=tuple(sorted(registry.stations)) if with_stations else (),
        enterprises=tuple(sorted(registry.stations_by_enterprise)) if with_stations else (),
        meters=tuple(meters),
    )


class Simulation:
    """All simulated sources of a registry, their scenarios and the loop that runs them.

    The run starts at ``clock.now_ms()`` when constructed; scenario offsets count from
    there. Raises :class:`ConfigError` for a scenario whose target is not simulated.
    """

    def __init__(
        self,
        registry: Registry,
        config: SimulationConfig,
        clock: SimClock,
        scenarios: Sequence[ScenarioSpec] = (),
    ) -> None:
        self.config = config
        self.clock = clock
        self.start_ms = clock.now_ms()
        self.end_ms = (
            None if config.duration_s is None else self.start_ms + round(config.duration_s * 1000)
        )
        self.pool = source_pool(registry, config)
        self.scenarios: list[Scenario] = resolve_scenarios(
            scenarios, self.pool, self.start_ms, config.seed
        )
        self.sources: list[Source] = list(self._build_sources(registry))

    def _build_sources(self, registry: Registry) -> Iterable[Source]:
        cfg, start, scenarios = self.config, self.start_ms, self.scenarios
        for channel_id in self.pool.channels:
            yield GasChannelSim(
                registry.channels[channel_id], cfg.seed, start, scenarios, cfg.prefix
            )
        weather = Weather(cfg.seed)
        for station_id in self.pool.stations:
            yield StationSim(
                registry.stations[station_id],
                cfg.seed,
                start,
                scenarios,
                cfg.prefix,
                cfg.station_period_s,
                weather,
            )
        for meter_id in self.pool.meters:
            yield MeterSim(
                registry.meters[meter_id],
                cfg.seed,
                start,
                scenarios,
                cfg.prefix,
                cfg.meter_interval_min,
            )

    async def run(self, publisher: Publisher) -> RunStats:
        """Publish until the configured duration has passed (forever if none)."""
        stats = RunStats()
        heap = [
            (due, i) for i, s in enumerate(self.sources) if (due := s.next_due_ms()) is not None
        ]
        heapq.heapify(heap)
        waiting = sorted(self.scenarios, key=lambda s: s.start_ms)
        log.info(
            "simulation_started",
            extra={
                "start_ms": self.start_ms,
                "end_ms": self.end_ms,
                "sources": len(heap),
                "scenarios": len(self.scenarios),
            },
        )
        with _truth_file(self.config.ground_truth_path) as truth:
            emitted = 0
            next_progress = self.start_ms + _PROGRESS_MS
            while heap:
                due, index = heap[0]
                if self.end_ms is not None and due >= self.end_ms:
                    break
                if due > self.clock.now_ms():
                    await self.clock.sleep_until(due)
                heapq.heappop(heap)
                while waiting and waiting[0].start_ms <= due:
                    _write_truth(truth, waiting.pop(0))
                    stats.scenarios_started += 1
                source = self.sources[index]
                for emission in source.emit(due):
                    await publisher.publish(emission.topic, emission.payload)
                    stats.messages[_family(emission.topic, self.config.prefix)] += 1
                    emitted += 1
                    if emitted % _YIELD_EVERY == 0:
                        await asyncio.sleep(0)
                stats.last_ts_ms = due
                if due >= next_progress:
                    next_progress = due + _PROGRESS_MS
                    log.info(
                        "simulation_progress",
                        extra={
                            "sim_ts_ms": due,
                            "messages": stats.total,
                            "behind_wall_ms": now_ms() - due,
                        },
                    )
                following = source.next_due_ms()
                if following is not None:
                    heapq.heappush(heap, (max(following, due + 1), index))
            for scenario in waiting:
                if self.end_ms is not None and scenario.start_ms < self.end_ms:
                    _write_truth(truth, scenario)
                    stats.scenarios_started += 1
        log.info("simulation_finished", extra={"messages": stats.total, **stats.messages})
        return stats


def _family(topic: str, prefix: str) -> str:
    """``gas/reading``, ``gas/event``, ``meter/reading`` or ``heat/telemetry``."""
    parts = topic[len(prefix) + 1 :].split("/")
    return f"{parts[0]}/{parts[-1]}"


@contextlib.contextmanager
def _truth_file(path: Path | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        yield out


def _write_truth(out: TextIO | None, scenario: Scenario) -> None:
    truth = scenario.ground_truth()
    if out is not None:
        out.write(msgspec.json.encode(truth).decode() + "\n")
        out.flush()
    log.info("scenario_started", extra=msgspec.structs.asdict(truth))


async def run_simulation(
    settings: Settings,
    *,
    duration_s: float | None = None,
    backfill_s: float | None = None,
    speed: float | None = None,
    seed: int | None = None,
    kinds: Iterable[SourceKind] | None = None,
    meter_limit: int | None = None,
    scenarios: Sequence[str | ScenarioSpec] = (),
    random_scenarios: bool = False,
    ground_truth_path: Path | None = None,
    registry: Registry | None = None,
    publisher: Publisher | None = None,
    clock: SimClock | None = None,
) -> RunStats:
    """Run the simulators against the broker named by ``settings``; the CLI's entry point.

    - ``duration_s``: simulated seconds to run; ``None`` runs forever. The run starts
      ``duration_s`` before the wall clock and catches up with it at ``speed``.
    - ``backfill_s``: how far behind the wall clock the run starts (default
      ``duration_s``, or 0 for an endless run). An endless run with a backfill replays
      that history at ``speed``, then goes on live at real time (``make run``).
    - ``speed``: simulated seconds per wall second (default ``settings.speed``).
    - ``seed``: seed of the models and scenario choice (default ``settings.registry_seed``).
    - ``kinds``: which sources to simulate (default all: gas channels, stations, meters).
    - ``meter_limit``: simulate only the first N meters (default ``settings.demo_meters``).
    - ``scenarios``: specs like ``"gas_leak_ramp:GAS-0042@+10m"`` (see ``scenarios``).
    - ``random_scenarios``: add one scenario of each kind, placed by ``seed``.
    - ``ground_truth_path``: JSON lines of the scenarios started (default
      ``settings.data_dir / "ground_truth.jsonl"`` when there are scenarios).
    - ``registry``: default ``lifeline.seed.generate_registry(registry_seed, demo_meters)``.
    - ``publisher``/``clock``: injected for tests; default MQTT per settings and an
      :class:`AcceleratedClock`.
    """
    config = SimulationConfig(
        seed=settings.registry_seed if seed is None else seed,
        speed=settings.speed if speed is None else speed,
        duration_s=duration_s,
        kinds=ALL_KINDS if kinds is None else frozenset(kinds),
        meter_limit=settings.demo_meters if meter_limit is None else meter_limit,
        prefix=settings.topic_prefix,
        ground_truth_path=ground_truth_path,
    )
    if registry is None:
        from lifeline.seed import generate_registry  # written alongside; imported late

        registry = generate_registry(settings.registry_seed, settings.demo_meters)
    if clock is None:
        behind = backfill_s if backfill_s is not None else (duration_s or 0.0)
        if not 0 <= behind <= _MAX_DURATION_S:
            raise ConfigError(f"backfill must be within 0..{_MAX_DURATION_S:.0f} s")
        clock = AcceleratedClock.behind_wall(behind, config.speed)
    specs = [parse_scenario(s) if isinstance(s, str) else s for s in scenarios]
    if random_scenarios:
        pool = source_pool(registry, config)
        specs += default_scenarios(pool, config.seed, config.duration_s)
    if specs and config.ground_truth_path is None:
        config = _with_truth(config, settings.data_dir / "ground_truth.jsonl")
    simulation = Simulation(registry, config, clock, specs)
    if publisher is not None:
        return await simulation.run(publisher)
    # A wide window: a broker that acknowledges only durable records (the embedded one,
    # or Mosquitto behind a slow ingester) holds each PUBACK for a batch round trip.
    async with MqttPublisher(_broker_address(settings), client_id=None, max_inflight=1000) as mqtt:
        return await simulation.run(mqtt)


def _with_truth(config: SimulationConfig, path: Path) -> SimulationConfig:
    return dataclasses.replace(config, ground_truth_path=path)


def _broker_address(settings: Settings) -> BrokerAddress:
    if settings.mqtt_url:
        address = parse_mqtt_url(settings.mqtt_url)
    else:
        address = BrokerAddress(settings.mqtt_host, settings.mqtt_port)
    if address.username is None and settings.mqtt_username:
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        address = dataclasses.replace(address, username=settings.mqtt_username, password=password)
    return address
