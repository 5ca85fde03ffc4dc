"""SpoolingTelemetryStore over a real SQLite store that the tests switch off and on."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from lifeline.core.codec import encode_records
from lifeline.core.records import Point
from store import SqliteTelemetryStore
from store.errors import SpoolFullError, StoreRequestError
from store.spool import SpoolingTelemetryStore
from store.spool_log import FRAME_HEADER_BYTES
from store.spool_metrics import SpoolMetrics
from tests.store.factories import T0, gas
from tests.store.spool_helpers import SEC, FakeClock, SwitchableStore, eventually, readings

MiB = 1 << 20


@dataclass
class Rig:
    """One spool over a switchable store, with its own metrics registry and clock."""

    path: Path
    inner: SwitchableStore
    registry: CollectorRegistry
    clock: FakeClock

    def open(
        self,
        *,
        max_bytes: int = MiB,
        write_timeout_s: float = 2.0,
        replay_chunk_bytes: int = MiB,
    ) -> SpoolingTelemetryStore:
        """A spool on the rig's directory (a restart, when one was open before)."""
        self.registry = CollectorRegistry()
        return SpoolingTelemetryStore(
            self.inner,
            self.path / "spool",
            max_bytes=max_bytes,
            write_timeout_s=write_timeout_s,
            retry_interval_s=0.02,
            metrics=SpoolMetrics.on(self.registry),
            replay_chunk_bytes=replay_chunk_bytes,
            clock=self.clock,
        )

    def metric(self, name: str) -> float:
        value = self.registry.get_sample_value(name)
        assert value is not None, name
        return value

    def segment_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path / "spool").glob("*.seg"))


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    inner = SwitchableStore(SqliteTelemetryStore(tmp_path / "telemetry.db"))
    yield Rig(tmp_path, inner, CollectorRegistry(), FakeClock())
    if not inner.closed:
        await inner.close()


@contextlib.contextmanager
def replaying(spool: SpoolingTelemetryStore) -> Iterator[asyncio.Task[None]]:
    task = asyncio.create_task(spool.run())
    try:
        yield task
    finally:
        task.cancel()


async def kill(task: asyncio.Task[None]) -> None:
    """Stop a spool's replay abruptly, as SIGKILL would (no close, nothing flushed)."""
    task.cancel()
    await asyncio.wait([task])


async def test_outage_spools_fast_and_store_return_replays_in_order_exactly_once(
    rig: Rig,
) -> None:
    spool = rig.open(write_timeout_s=30.0)  # far above the bound below
    rig.inner.down = True
    batches = [readings(i * 5, 5) for i in range(20)]

    with replaying(spool):
        for batch in batches:
            started = time.perf_counter()
            await spool.write(batch)
            assert time.perf_counter() - started < 5.0  # spooled, not waiting on the outage
        assert await rig.inner.count() == 0
        assert rig.metric("lifeline_spool_batches") == 20
        assert rig.metric("lifeline_spool_records_spooled_total") == 100
        assert rig.metric("lifeline_store_available") == 0

        rig.inner.down = False
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    assert rig.inner.written == [r for batch in batches for r in batch]  # order, no repeats
    assert await rig.inner.count() == 100
    assert rig.metric("lifeline_spool_records_replayed_total") == 100
    assert rig.metric("lifeline_spool_bytes") == 0
    assert rig.metric("lifeline_store_available") == 1
    assert rig.segment_bytes() == 0  # a drained spool keeps no data on disk
    await spool.close()
    assert rig.inner.closed == 1


async def test_write_while_spool_drains_goes_behind_the_spooled_records(rig: Rig) -> None:
    spool = rig.open()
    rig.inner.down = True
    await spool.write([gas("GAS-0007", T0, 30.0)])  # during the outage
    await spool.write(readings(0, 50))
    rig.inner.down = False
    rig.inner.delay_s = 0.05  # the spool is still draining when the next writes come

    with replaying(spool):
        await spool.write([gas("GAS-0007", T0, 31.0)])  # same series and ts: a correction
        await spool.write([gas("GAS-0007", T0 + SEC, 12.0)])  # newer
        assert rig.metric("lifeline_spool_records_spooled_total") == 53  # none overtook
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    latest = await spool.latest(["GAS-0007"], "lel_pct")
    assert latest == {"GAS-0007": Point(T0 + SEC, 12.0)}
    history = await spool.history("GAS-0007", "lel_pct", T0, T0 + 1, 1)
    assert [b.last for b in history] == [31.0]  # the correction was written last
    assert await spool.count() == 52  # 53 records, two on one series and ts
    await spool.close()


async def test_writes_go_straight_to_the_store_when_spool_is_empty(rig: Rig) -> None:
    spool = rig.open()

    await spool.write(readings(0, 10))

    assert await rig.inner.count() == 10
    assert rig.metric("lifeline_spool_records_spooled_total") == 0
    assert rig.segment_bytes() == 0
    await spool.close()


async def test_full_spool_raises_and_keeps_nothing_past_its_bound(rig: Rig) -> None:
    batches = [readings(i * 10, 10) for i in range(4)]
    frame = FRAME_HEADER_BYTES + len(encode_records(batches[0]))
    spool = rig.open(max_bytes=3 * frame + frame // 2)
    rig.inner.down = True

    for batch in batches[:3]:
        await spool.write(batch)
    with pytest.raises(SpoolFullError):
        await spool.write(batches[3])

    assert rig.metric("lifeline_spool_batches") == 3
    assert rig.metric("lifeline_spool_bytes") == 3 * frame == rig.segment_bytes()
    assert rig.metric("lifeline_spool_records_rejected_total") == 10
    with replaying(spool):
        rig.inner.down = False
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)
        assert rig.inner.written == [r for batch in batches[:3] for r in batch]
        await spool.write(batches[3])  # the broker's redelivery, once there is room
    assert await spool.count() == 40
    await spool.close()


async def test_slow_store_write_is_spooled_after_the_timeout(rig: Rig) -> None:
    spool = rig.open(write_timeout_s=0.1)
    rig.inner.delay_s = 1.0

    with replaying(spool):
        started = time.perf_counter()
        await spool.write(readings(0, 5))
        assert 0.1 <= time.perf_counter() - started < 0.8  # not the 1 s of the store
        assert rig.metric("lifeline_spool_records_spooled_total") == 5
        assert rig.metric("lifeline_store_available") == 0
        ok, detail = spool.health()
        assert not ok
        assert "TimeoutError" in detail

        rig.inner.delay_s = 0.0
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    assert await spool.count() == 5
    assert spool.health()[0]
    await spool.close()


async def test_crash_between_store_write_and_commit_replays_the_batch_again(
    rig: Rig,
) -> None:
    first = rig.open(write_timeout_s=30.0)
    rig.inner.down = True
    await first.write(readings(0, 10))
    rig.inner.down = False
    rig.inner.hang_after_write = True
    with replaying(first) as task:
        await asyncio.wait_for(rig.inner.blocked.wait(), 5)
        assert await rig.inner.count() == 10  # written, the spool has not committed yet
        await kill(task)

    rig.inner.hang_after_write = False
    second = rig.open()
    assert rig.metric("lifeline_spool_batches") == 1
    with replaying(second):
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    assert len(rig.inner.writes) == 2  # the same batch twice ...
    assert rig.inner.writes[0] == rig.inner.writes[1]
    assert await second.count() == 10  # ... overwrote itself
    await second.close()


async def test_reopen_after_kill_replays_exactly_what_was_left(rig: Rig) -> None:
    first = rig.open(replay_chunk_bytes=1)  # one batch per store write
    rig.inner.down = True
    batches = [readings(i * 4, 4) for i in range(5)]
    for batch in batches:
        await first.write(batch)
    rig.inner.down = False
    rig.inner.writes_allowed = 2
    with replaying(first) as task:
        await asyncio.wait_for(rig.inner.blocked.wait(), 5)  # two replayed, third stuck
        await kill(task)

    rig.inner.writes_allowed = None
    second = rig.open()
    assert rig.metric("lifeline_spool_batches") == 3
    with replaying(second):
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    assert rig.inner.writes[:2] == batches[:2]  # replayed before the kill
    assert rig.inner.written == [r for b in batches for r in b]  # each once, in order
    assert await second.count() == 20
    await second.close()


async def test_torn_last_frame_is_cut_on_reopen_and_the_rest_replays(rig: Rig) -> None:
    first = rig.open()
    rig.inner.down = True
    batches = [readings(i * 3, 3) for i in range(3)]
    for batch in batches:
        await first.write(batch)
    whole = rig.segment_bytes()
    await first.close()
    (segment,) = (rig.path / "spool").glob("*.seg")
    with segment.open("ab") as f:  # a fourth frame cut short by the crash
        f.write(encode_records(readings(90, 3))[:-5].rjust(200, b"\0"))

    rig.inner = SwitchableStore(SqliteTelemetryStore(rig.path / "telemetry.db"))
    second = rig.open()
    assert segment.stat().st_size == whole
    assert rig.metric("lifeline_spool_batches") == 3
    await second.write(readings(50, 2))  # appends after the cut, still in order
    with replaying(second):
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    assert rig.inner.written == [*(r for b in batches for r in b), *readings(50, 2)]
    await second.close()


async def test_metrics_and_health_follow_fill_level_and_store_state(rig: Rig) -> None:
    batch = readings(0, 10)
    frame = FRAME_HEADER_BYTES + len(encode_records(batch))
    spool = rig.open(max_bytes=10 * frame)
    assert rig.metric("lifeline_spool_max_bytes") == 10 * frame
    assert spool.health() == (
        True,
        f"spool 0.0% full (0 of {10 * frame} bytes, 0 batches, oldest 0 s)",
    )

    rig.inner.down = True
    for _ in range(9):
        await spool.write(batch)
        rig.clock.now += 10 * SEC
    assert rig.metric("lifeline_spool_bytes") == 9 * frame == rig.segment_bytes()
    assert rig.metric("lifeline_spool_fill_ratio") == pytest.approx(0.9)
    assert rig.metric("lifeline_spool_batches") == 9
    assert rig.metric("lifeline_spool_oldest_age_seconds") == 90
    ok, detail = spool.health()
    assert not ok
    assert detail == (
        "store unavailable for 90 s (StoreUnavailableError: switched off for the test); "
        f"spool 90.0% full ({9 * frame} of {10 * frame} bytes, 9 batches, oldest 90 s)"
    )
    await spool.close()

    rig.inner = SwitchableStore(SqliteTelemetryStore(rig.path / "telemetry.db"))
    reopened = rig.open(max_bytes=10 * frame)  # store not known to be down, but 90 % full
    ok, detail = reopened.health()
    assert not ok
    assert detail.startswith("spool 90.0% full")
    with replaying(reopened):
        await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)
    assert rig.metric("lifeline_spool_records_replayed_total") == 90
    assert rig.metric("lifeline_spool_fill_ratio") == 0
    assert rig.metric("lifeline_spool_oldest_age_seconds") == 0
    assert reopened.health()[0]
    await reopened.close()


async def test_store_refusal_is_raised_to_the_caller_not_spooled(rig: Rig) -> None:
    class RefusingStore(SwitchableStore):
        async def write(self, records: object) -> None:
            raise StoreRequestError("InfluxDB write refused", 400, "bad line protocol")

    rig.inner = RefusingStore(rig.inner.inner)
    spool = rig.open()

    with pytest.raises(StoreRequestError):
        await spool.write(readings(0, 3))

    assert rig.metric("lifeline_spool_batches") == 0
    assert rig.metric("lifeline_store_available") == 1
    await spool.close()


async def test_first_write_starts_the_replay_when_run_was_not_called(rig: Rig) -> None:
    spool = rig.open()
    rig.inner.down = True
    await spool.write(readings(0, 3))
    rig.inner.down = False

    await eventually(lambda: rig.metric("lifeline_spool_batches") == 0)

    assert await spool.count() == 3
    await spool.close()
    with pytest.raises(RuntimeError, match="closed"):
        await spool.write(readings(3, 1))
