"""A real SQLite telemetry store that can be switched down, slowed or stopped mid-write,
for the spool tests (the real InfluxDB outage drill lives elsewhere)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from lifeline.core.records import Record
from store import SqliteTelemetryStore
from store.errors import StoreUnavailableError
from store.forwarding import ForwardingReads
from tests.store.factories import T0, gas

SEC = 1000


class SwitchableStore(ForwardingReads):
    """:class:`SqliteTelemetryStore` behind switches.

    ``down``: writes raise StoreUnavailableError. ``delay_s``: writes wait first (a slow
    store). ``writes_allowed``: after that many successful writes the next one blocks
    forever before writing (``blocked`` is set), like a process frozen before a step.
    ``hang_after_write``: the write lands, then the call never returns (a crash between
    the store write and the spool's commit). ``writes`` lists every batch that landed.
    """

    def __init__(self, inner: SqliteTelemetryStore) -> None:
        super().__init__(inner)
        self.down = False
        self.delay_s = 0.0
        self.writes_allowed: int | None = None
        self.hang_after_write = False
        self.blocked = asyncio.Event()
        self.writes: list[list[Record]] = []
        self.closed = 0

    @property
    def inner(self) -> SqliteTelemetryStore:
        assert isinstance(self._inner, SqliteTelemetryStore)
        return self._inner

    @property
    def written(self) -> list[Record]:
        return [r for batch in self.writes for r in batch]

    async def write(self, records: Sequence[Record]) -> None:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.down:
            raise StoreUnavailableError("switched off for the test")
        if self.writes_allowed is not None and len(self.writes) >= self.writes_allowed:
            self.blocked.set()
            await asyncio.Event().wait()
        await self.inner.write(records)
        self.writes.append(list(records))
        if self.hang_after_write:
            self.blocked.set()
            await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed += 1
        await self.inner.close()


class FakeClock:
    def __init__(self, now_ms: int = T0) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def readings(first: int, count: int, source: str = "GAS-0001") -> list[Record]:
    """``count`` gas readings of one channel, one a second from T0 + ``first`` s; the
    LEL value is the index, so order and identity are visible in the store."""
    return [gas(source, T0 + (first + i) * SEC, float((first + i) % 100)) for i in range(count)]


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Wait until ``condition()`` holds; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.01)
