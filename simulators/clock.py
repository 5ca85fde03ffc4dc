"""Simulated time: what "now" is for the simulators, and how to wait for a later instant.

A run of simulated duration ``D`` at speed ``S`` starts at ``wall_now - D`` and advances
``S`` simulated seconds per wall second until it meets the wall clock; from then on it
runs at real time. Simulated time therefore never runs ahead of the wall clock, so no
record is ever stamped in the future (the contract rejects records > 300 s ahead).

``SteppedClock`` jumps straight to any instant it is asked to wait for: tests run days
of simulated time in no real time.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Protocol

from lifeline.core.timeutil import now_ms

__all__ = ["AcceleratedClock", "SimClock", "SteppedClock"]

WallClock = Callable[[], int]
Sleeper = Callable[[float], Awaitable[None]]


class SimClock(Protocol):
    """Simulated time in epoch milliseconds."""

    def now_ms(self) -> int: ...

    async def sleep_until(self, ts_ms: int) -> None:
        """Return once simulated time has reached ``ts_ms``."""
        ...


class SteppedClock:
    """A clock that jumps: ``sleep_until`` moves time forward at once (tests)."""

    def __init__(self, start_ms: int) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, ms: int) -> None:
        self._now_ms += ms

    async def sleep_until(self, ts_ms: int) -> None:
        self._now_ms = max(self._now_ms, ts_ms)
        await asyncio.sleep(0)


class AcceleratedClock:
    """Simulated time that starts at or before the wall clock and catches up with it.

    ``sim(w) = min(start_ms + (w - w0) * speed, w)`` where ``w`` is wall time and
    ``w0`` the wall time at construction. ``wall`` and ``sleep`` are injectable so a
    test can drive it with a fake wall clock.
    """

    def __init__(
        self,
        start_ms: int,
        speed: float,
        *,
        wall: WallClock = now_ms,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        if not speed > 0 or math.isinf(speed):
            raise ValueError(f"speed must be a positive finite number, got {speed}")
        self._wall = wall
        self._sleep = sleep
        self._wall0 = wall()
        if start_ms > self._wall0:
            raise ValueError("simulated time may not start ahead of the wall clock")
        self._sim0 = start_ms
        self.speed = speed

    @classmethod
    def behind_wall(
        cls,
        behind_s: float,
        speed: float,
        *,
        wall: WallClock = now_ms,
        sleep: Sleeper = asyncio.sleep,
    ) -> AcceleratedClock:
        """A clock starting ``behind_s`` seconds before the wall clock's now."""
        return cls(wall() - round(behind_s * 1000), speed, wall=wall, sleep=sleep)

    @property
    def start_ms(self) -> int:
        return self._sim0

    def now_ms(self) -> int:
        wall = self._wall()
        return min(self._sim0 + math.floor((wall - self._wall0) * self.speed), wall)

    def caught_up(self) -> bool:
        """True once simulated time runs with the wall clock (speed 1 from then on)."""
        return self.now_ms() >= self._wall()

    def wall_ms_at(self, ts_ms: int) -> int:
        """Wall time at which simulated time reaches ``ts_ms``."""
        accelerated = self._wall0 + math.ceil((ts_ms - self._sim0) / self.speed)
        return max(accelerated, ts_ms)

    async def sleep_until(self, ts_ms: int) -> None:
        while True:
            delay_ms = self.wall_ms_at(ts_ms) - self._wall()
            if delay_ms <= 0 and self.now_ms() >= ts_ms:
                return
            await self._sleep(max(delay_ms, 1) / 1000)
