"""SqliteTelemetryStore against real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lifeline.payloads import GasEventType, MeterAlarm
from lifeline.records import PRESENCE_SLOT_MS, Bucket, DeviceEvent, Point
from store import SqliteTelemetryStore
from tests.store.factories import T0, gas, gas_event, meter, station

MIN = 60_000
SLOT = PRESENCE_SLOT_MS


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteTelemetryStore]:
    s = SqliteTelemetryStore(tmp_path / "telemetry.db")
    yield s
    await s.close()


async def test_rewriting_same_series_and_ts_overwrites_and_keeps_count(
    store: SqliteTelemetryStore,
) -> None:
    await store.write([gas("GAS-0001", T0, 5.0, temp_c=21.0)])
    await store.write([gas("GAS-0001", T0, 7.0, temp_c=21.0)])
    await store.write([gas("GAS-0001", T0, 7.0, temp_c=21.0)])

    assert await store.count() == 2  # lel_pct and temp_c, once each
    assert await store.count("GAS-0001") == 2
    latest = await store.latest(["GAS-0001"], "lel_pct")
    assert latest == {"GAS-0001": Point(T0, 7.0)}


async def test_history_buckets_hold_mean_min_max_last_and_count(
    store: SqliteTelemetryStore,
) -> None:
    # Written out of order: "last" must follow ts, not insertion order.
    await store.write(
        [
            gas("GAS-0001", T0 + 40_000, 3.0),
            gas("GAS-0001", T0 + 0, 1.0),
            gas("GAS-0001", T0 + 20_000, 5.0),
            gas("GAS-0001", T0 + 70_000, 10.0),
            gas("GAS-0001", T0 + 190_000, 4.0),
            gas("GAS-0001", T0 + 200_000, 2.0),
            gas("GAS-0001", T0 - 1, 99.0),  # before the range
            gas("GAS-0001", T0 + 4 * MIN, 99.0),  # at the (exclusive) end
            gas("GAS-0002", T0 + 10_000, 50.0),  # another source
        ]
    )
    await store.write([gas("GAS-0001", T0 + 30_000, 1.0, temp_c=-5.0)])  # another metric

    buckets = await store.history("GAS-0001", "lel_pct", T0, T0 + 4 * MIN, MIN)

    assert buckets == [
        Bucket(ts_ms=T0, mean=2.5, min=1.0, max=5.0, last=3.0, count=4),
        Bucket(ts_ms=T0 + MIN, mean=10.0, min=10.0, max=10.0, last=10.0, count=1),
        # T0 + 2 min is empty and left out
        Bucket(ts_ms=T0 + 3 * MIN, mean=3.0, min=2.0, max=4.0, last=2.0, count=2),
    ]


async def test_history_buckets_are_aligned_to_the_step(store: SqliteTelemetryStore) -> None:
    await store.write([gas("GAS-0001", T0 + 90_000, 1.0), gas("GAS-0001", T0 + 150_000, 3.0)])

    buckets = await store.history("GAS-0001", "lel_pct", T0 + 30_000, T0 + 10 * MIN, 2 * MIN)

    assert [(b.ts_ms, b.count) for b in buckets] == [(T0, 1), (T0 + 2 * MIN, 1)]


async def test_history_rejects_a_step_that_is_not_positive(store: SqliteTelemetryStore) -> None:
    with pytest.raises(ValueError, match="step_ms"):
        await store.history("GAS-0001", "lel_pct", T0, T0 + MIN, 0)


async def test_latest_returns_newest_point_per_source_and_skips_unknown(
    store: SqliteTelemetryStore,
) -> None:
    await store.write([gas("GAS-0001", T0 + 2 * MIN, 3.0), gas("GAS-0002", T0, 8.0)])
    await store.write([gas("GAS-0001", T0 + MIN, 9.0)])  # late, older

    latest = await store.latest(["GAS-0001", "GAS-0002", "GAS-0404"], "lel_pct")

    assert latest == {"GAS-0001": Point(T0 + 2 * MIN, 3.0), "GAS-0002": Point(T0, 8.0)}
    assert await store.latest(["GAS-0001"], "no_such_metric") == {}


async def test_metrics_lists_what_a_source_sent(store: SqliteTelemetryStore) -> None:
    await store.write([station("HEAT-001-S01", T0), meter("MTR-00000001", T0, 12.5)])

    assert await store.metrics("HEAT-001-S01") == [
        "indoor_temp_c",
        "primary_supply_temp_c",
        "pump_running",
    ]
    assert await store.metrics("MTR-00000001") == ["volume_m3"]
    assert await store.metrics("GAS-0001") == []
    pump = await store.latest(["HEAT-001-S01"], "pump_running")
    assert pump["HEAT-001-S01"].value == 1.0


async def test_last_seen_never_moves_backwards_with_late_data(
    store: SqliteTelemetryStore,
) -> None:
    await store.write([gas("GAS-0001", T0 + 10 * MIN, 1.0), gas("GAS-0001", T0 + 5 * MIN, 1.0)])
    await store.write([gas("GAS-0001", T0, 1.0)])  # a late batch
    await store.write([gas_event("GAS-0002", T0 + MIN, GasEventType.HEARTBEAT)])

    seen = await store.last_seen(["GAS-0001", "GAS-0002", "GAS-0003"])

    assert seen == {"GAS-0001": T0 + 10 * MIN, "GAS-0002": T0 + MIN}


async def test_station_records_make_their_enterprise_seen(store: SqliteTelemetryStore) -> None:
    await store.write([station("HEAT-007-S01", T0), station("HEAT-007-S02", T0 + MIN)])

    seen = await store.last_seen(["HEAT-007", "HEAT-007-S01"])

    assert seen == {"HEAT-007": T0 + MIN, "HEAT-007-S01": T0}


async def test_coverage_counts_slots_with_records(store: SqliteTelemetryStore) -> None:
    await store.write(
        [
            gas("GAS-0001", T0 + 10_000, 1.0),
            gas("GAS-0001", T0 + 20_000, 1.0),  # same slot: counted once
            gas("GAS-0001", T0 + SLOT + 1, 1.0),
            gas("GAS-0001", T0 + 5 * SLOT, 1.0),  # after the range
            gas("GAS-0001", T0 - 1, 1.0),  # before the range
        ]
    )

    cov = await store.coverage(["GAS-0001", "GAS-0002"], T0, T0 + 4 * SLOT)

    assert cov == {"GAS-0001": 2, "GAS-0002": 0}


async def test_coverage_counts_enterprise_presence_from_its_stations(
    store: SqliteTelemetryStore,
) -> None:
    await store.write(
        [
            station("HEAT-001-S01", T0),
            station("HEAT-001-S01", T0 + SLOT),
            station("HEAT-001-S02", T0 + SLOT + 30_000),
            station("HEAT-001-S02", T0 + 3 * SLOT),
            station("HEAT-002-S01", T0 + 2 * SLOT),
        ]
    )

    cov = await store.coverage(["HEAT-001", "HEAT-002", "HEAT-003"], T0, T0 + 12 * SLOT)

    assert cov == {"HEAT-001": 3, "HEAT-002": 1, "HEAT-003": 0}


async def test_events_are_newest_first_within_range_and_limit(
    store: SqliteTelemetryStore,
) -> None:
    await store.write(
        [
            gas_event("GAS-0001", T0, GasEventType.ALARM_LOW, "22% LEL"),
            gas_event("GAS-0001", T0 + MIN, GasEventType.VALVE_CLOSED),
            gas_event("GAS-0001", T0 + 2 * MIN, GasEventType.ALARM_CLEARED),
            gas_event("GAS-0001", T0 + 2 * MIN, GasEventType.ALARM_CLEARED),  # redelivered
            gas_event("GAS-0002", T0, GasEventType.FAULT),
        ]
    )
    await store.write(
        [meter("MTR-00000001", T0, 1.0, [MeterAlarm.LOW_BATTERY, MeterAlarm.MICRO_LEAK])]
    )

    events = await store.events("GAS-0001", T0, T0 + 10 * MIN)
    assert events == [
        DeviceEvent(T0 + 2 * MIN, "alarm_cleared"),
        DeviceEvent(T0 + MIN, "valve_closed"),
        DeviceEvent(T0, "alarm_low", "22% LEL"),
    ]
    assert [e.type for e in await store.events("GAS-0001", T0, T0 + 10 * MIN, limit=1)] == [
        "alarm_cleared"
    ]
    assert await store.events("GAS-0001", T0 + 1, T0 + MIN) == []
    meter_events = await store.events("MTR-00000001", T0, T0 + 1)
    assert sorted(e.type for e in meter_events) == ["low_battery", "micro_leak"]


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


async def test_closed_store_refuses_calls(tmp_path: Path) -> None:
    s = SqliteTelemetryStore(tmp_path / "telemetry.db")
    await s.close()
    await s.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await s.count()


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
    assert min(timings) < 0.1
