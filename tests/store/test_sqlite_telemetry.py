"""SqliteTelemetryStore against real SQLite files: what is specific to SQLite.

The behaviour every telemetry store shares is in test_telemetry_contract.py."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lifeline.core.records import Point
from store import SqliteTelemetryStore
from tests.store.factories import T0, gas, station


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteTelemetryStore]:
    s = SqliteTelemetryStore(tmp_path / "telemetry.db")
    yield s
    await s.close()


async def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "telemetry.db"
    first = SqliteTelemetryStore(path)
    await first.write([gas("GAS-0001", T0, 4.0), station("HEAT-001-S01", T0)])
    await first.close()

    second = SqliteTelemetryStore(path)
    try:
        assert await second.count() == 4
        assert await second.latest(["GAS-0001"], "lel_pct") == {"GAS-0001": Point(T0, 4.0)}
        assert await second.last_seen(["HEAT-001"]) == {"HEAT-001": T0}
    finally:
        await second.close()


async def test_samples_table_is_keyed_by_series_and_ts(tmp_path: Path) -> None:
    path = tmp_path / "telemetry.db"
    s = SqliteTelemetryStore(path)
    await s.close()
    with sqlite3.connect(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'samples'").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert "PRIMARY KEY (source_id, metric, ts_ms)) WITHOUT ROWID" in sql
    assert mode == "wal"


async def test_write_does_not_block_the_event_loop(store: SqliteTelemetryStore) -> None:
    records = [gas(f"GAS-{i % 525 + 1:04d}", T0 + i * 1000, 1.0, 20.0) for i in range(20_000)]
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    await store.write(records)
    progressed = ticks - start
    done = True
    await task

    assert progressed > 1
    assert await store.count() == 40_000


async def test_history_of_a_day_at_30s_resolution_is_fast(store: SqliteTelemetryStore) -> None:
    day = 24 * 3600 * 1000
    step = day // 300
    start = T0 - T0 % step
    for n in range(1, 21):  # 20 channels share the table
        await store.write(
            [gas(f"GAS-{n:04d}", start + i * 30_000, (i % 40) / 2, 20.0) for i in range(2880)]
        )

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        buckets = await store.history("GAS-0007", "lel_pct", start, start + day, step)
        timings.append(time.perf_counter() - started)

    assert len(buckets) == 300
    assert sum(b.count for b in buckets) == 2880
    print(f"\n24 h history, 300 buckets: best {min(timings) * 1000:.1f} ms")
    assert min(timings) < 2.0  # the figure is printed and recorded in docs/benchmarks.md
