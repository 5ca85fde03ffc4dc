"""The runner: contract-valid output, determinism, options and the CLI helper."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import GasEvent, MeterReading, StationTelemetry
from lifeline.core.timeutil import now_ms
from lifeline.settings import Settings
from simulators.clock import SteppedClock
from simulators.publish import RecordingPublisher
from simulators.runner import SimulationConfig, run_simulation
from tests.simulators.helpers import HOUR, MINUTE, START_MS, decode, of, simulate, small_registry


async def test_every_payload_of_a_day_with_all_scenarios_decodes_per_contract(
    tmp_path: Path,
) -> None:
    publisher = RecordingPublisher()
    stats = await run_simulation(
        Settings(data_dir=tmp_path),
        duration_s=24 * 3600,
        random_scenarios=True,
        registry=small_registry(10),
        publisher=publisher,
        clock=SteppedClock(START_MS),
        meter_limit=10,
    )
    records = [r for topic, payload in publisher.messages for r in decode(topic, payload)]
    assert len(publisher.messages) == stats.total
    assert {type(r.body) for r in records} >= {GasEvent, MeterReading, StationTelemetry}
    for topic, payload in publisher.messages:
        assert len(payload) <= 256 * 1024
        assert b"NaN" not in payload
        assert b"Infinity" not in payload
        assert topic.startswith("lifeline/v1/")
    assert all(isinstance(r.body.ts, int) for r in records)
    truth = (tmp_path / "ground_truth.jsonl").read_text().splitlines()
    assert len(truth) == 8 == stats.scenarios_started


async def test_same_seed_gives_the_same_messages() -> None:
    first, _, _ = await simulate(small_registry(2), 30 * MINUTE, seed=5)
    again, _, _ = await simulate(small_registry(2), 30 * MINUTE, seed=5)
    other, _, _ = await simulate(small_registry(2), 30 * MINUTE, seed=6)
    assert first == again
    assert first != other


async def test_kinds_and_meter_limit_choose_what_is_simulated() -> None:
    received, stats, sim = await simulate(
        small_registry(10), 26 * HOUR, kinds=frozenset({"meter"}), meter_limit=4
    )
    assert set(stats.messages) == {"meter/reading"}
    assert {r.topic.source_id for r in of(received, MeterReading)} == {
        f"MTR-{n:08d}" for n in range(1, 5)
    }
    assert len(sim.sources) == 4


async def test_fifteen_minute_meters_send_96_intervals_a_day() -> None:
    received, _, _ = await simulate(
        small_registry(1), 50 * HOUR, kinds=frozenset({"meter"}), meter_interval_min=15
    )
    stamps = [r.ts for r in received]
    assert len(stamps) >= 96 * 2
    assert all(b - a == 15 * MINUTE for a, b in itertools.pairwise(stamps))
    assert all((r.batch_size or 0) <= 1000 for r in received)


@pytest.mark.parametrize(
    "options",
    [
        {"speed": 0},
        {"duration_s": 40 * 86400},
        {"meter_interval_min": 30},
        {"station_period_s": 0.1},
    ],
)
def test_invalid_options_are_config_errors(options: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        SimulationConfig(**options)  # type: ignore[arg-type]


async def test_endless_run_with_backfill_replays_history_then_goes_live() -> None:
    publisher = RecordingPublisher()
    task = asyncio.create_task(
        run_simulation(
            Settings(),
            backfill_s=1800,
            speed=36_000,  # half an hour of history in ~50 ms
            registry=small_registry(0),
            kinds=[SourceKind.STATION],
            publisher=publisher,
        )
    )
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stamps = [r.ts for topic, payload in publisher.messages for r in decode(topic, payload)]
    assert min(stamps) < now_ms() - 29 * MINUTE  # started half an hour back
    assert len(stamps) >= 4 * 29  # 4 stations, one a minute, caught up
    assert max(stamps) <= now_ms()
