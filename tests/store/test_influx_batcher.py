"""LineBatcher: group commit of writes, one request in flight, in order."""

from __future__ import annotations

import asyncio

import pytest

from store.influx_batcher import LineBatcher


class Sink:
    """Records every request; fails those containing a line in ``poison``."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.requests: list[list[str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.poison: set[str] = set()
        self.delay_s = delay_s

    async def send(self, lines: list[str]) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
            if self.poison.intersection(lines):
                raise ConnectionError("poisoned")
            self.requests.append(list(lines))
        finally:
            self.in_flight -= 1


async def test_a_write_is_split_into_requests_of_batch_size() -> None:
    sink = Sink()
    batcher = LineBatcher(sink.send, batch_size=4)

    await batcher.write([str(i) for i in range(10)])

    assert sink.requests == [["0", "1", "2", "3"], ["4", "5", "6", "7"], ["8", "9"]]


async def test_concurrent_writes_share_requests_one_at_a_time_in_order() -> None:
    sink = Sink(delay_s=0.01)
    batcher = LineBatcher(sink.send, batch_size=100)

    await asyncio.gather(*(batcher.write([f"w{n}a", f"w{n}b"]) for n in range(20)))

    assert sink.max_in_flight == 1
    assert len(sink.requests) < 20
    assert [line for request in sink.requests for line in request] == [
        line for n in range(20) for line in (f"w{n}a", f"w{n}b")
    ]


async def test_a_failed_request_fails_its_writers_only() -> None:
    sink = Sink(delay_s=0.01)
    sink.poison = {"bad"}
    batcher = LineBatcher(sink.send, batch_size=2)

    first = asyncio.create_task(batcher.write(["ok1"]))
    await asyncio.sleep(0)  # "ok1" goes out alone; the next two queue behind it
    results = await asyncio.gather(
        first, batcher.write(["bad", "x", "y"]), batcher.write(["ok2"]), return_exceptions=True
    )

    assert results[0] is None
    assert isinstance(results[1], ConnectionError)
    assert results[2] is None
    assert [line for r in sink.requests for line in r] == ["ok1", "ok2"]  # rest of "bad" dropped


async def test_linger_waits_for_a_partial_batch_to_fill() -> None:
    sink = Sink()
    batcher = LineBatcher(sink.send, batch_size=3, linger_s=5.0)

    await asyncio.wait_for(
        asyncio.gather(batcher.write(["a"]), batcher.write(["b"]), batcher.write(["c"])), 1.0
    )

    assert sink.requests == [["a", "b", "c"]]  # full before the linger ran out


async def test_linger_sends_a_partial_batch_when_it_runs_out() -> None:
    sink = Sink()
    batcher = LineBatcher(sink.send, batch_size=100, linger_s=0.05)
    loop = asyncio.get_running_loop()

    started = loop.time()
    await batcher.write(["a"])

    assert 0.04 <= loop.time() - started < 1.0
    assert sink.requests == [["a"]]


async def test_a_cancelled_writer_does_not_stop_its_lines() -> None:
    sink = Sink(delay_s=0.02)
    batcher = LineBatcher(sink.send, batch_size=10)
    task = asyncio.create_task(batcher.write(["a"]))
    await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await batcher.drain()

    assert sink.requests == [["a"]]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        LineBatcher(Sink().send, batch_size=0)
