"""Simulated time: stepped for tests, accelerated until it meets the wall clock."""

from __future__ import annotations

import pytest

from lifeline.core.payloads import MAX_FUTURE_MS
from simulators.clock import AcceleratedClock, SteppedClock
from simulators.runner import Simulation, SimulationConfig
from tests.simulators.helpers import HOUR, MINUTE, START_MS, decode, small_registry


class FakeWall:
    """A wall clock that only moves when someone sleeps on it."""

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms
        self.slept_s = 0.0

    def __call__(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept_s += seconds
        self.now += round(seconds * 1000)


async def test_stepped_clock_jumps_forward_and_never_back() -> None:
    clock = SteppedClock(START_MS)
    await clock.sleep_until(START_MS + 5000)
    assert clock.now_ms() == START_MS + 5000
    await clock.sleep_until(START_MS)
    assert clock.now_ms() == START_MS + 5000


async def test_accelerated_clock_runs_at_speed_then_at_wall_time() -> None:
    wall = FakeWall(START_MS)
    clock = AcceleratedClock.behind_wall(3600, 61, wall=wall, sleep=wall.sleep)
    assert clock.now_ms() == START_MS - HOUR
    wall.now += 30_000  # 30 wall seconds = 30.5 simulated minutes
    assert clock.now_ms() == START_MS - HOUR + 30 * 61_000
    assert not clock.caught_up()
    wall.now = START_MS + 60_000  # catch-up: D / (S - 1) = 60 s
    assert clock.now_ms() == wall.now
    assert clock.caught_up()
    wall.now += 10 * MINUTE  # then real time
    assert clock.now_ms() == wall.now


async def test_accelerated_clock_sleeps_the_wall_time_the_speed_asks_for() -> None:
    wall = FakeWall(START_MS)
    clock = AcceleratedClock.behind_wall(3600, 60, wall=wall, sleep=wall.sleep)
    await clock.sleep_until(START_MS - HOUR + 30 * MINUTE)
    assert wall.slept_s == pytest.approx(30.0, abs=0.01)
    assert clock.now_ms() >= START_MS - HOUR + 30 * MINUTE
    await clock.sleep_until(START_MS + MINUTE)  # past the wall clock: waits in real time
    assert wall.now >= START_MS + MINUTE


def test_clock_refuses_to_start_in_the_future_or_at_a_bad_speed() -> None:
    wall = FakeWall(START_MS)
    with pytest.raises(ValueError, match="ahead"):
        AcceleratedClock(START_MS + 1, 10, wall=wall, sleep=wall.sleep)
    with pytest.raises(ValueError, match="speed"):
        AcceleratedClock(START_MS, 0, wall=wall, sleep=wall.sleep)


async def test_accelerated_run_never_stamps_a_record_in_the_future() -> None:
    wall = FakeWall(START_MS)
    clock = AcceleratedClock.behind_wall(2 * 3600, 120, wall=wall, sleep=wall.sleep)
    seen: list[tuple[int, int]] = []

    class WallCheckingPublisher:
        async def publish(self, topic: str, payload: bytes) -> None:
            for record in decode(topic, payload):
                seen.append((record.ts, wall.now))

    config = SimulationConfig(duration_s=3 * 3600, speed=120)  # an hour past the catch-up
    simulation = Simulation(small_registry(5), config, clock)
    await simulation.run(WallCheckingPublisher())
    assert len(seen) > 500
    assert all(ts <= now for ts, now in seen)
    assert max(ts - now for ts, now in seen) < MAX_FUTURE_MS
    # two simulated hours took one wall minute, the last hour ran in real time
    assert wall.now - START_MS == pytest.approx(HOUR + 60_000, abs=2 * MINUTE)
