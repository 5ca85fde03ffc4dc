"""Write throughput of SqliteTelemetryStore, printed (not asserted: machines differ)."""

from __future__ import annotations

import time
from pathlib import Path

from lifeline.core.payloads import GasReading, StationTelemetry
from lifeline.core.records import Record, numeric_fields
from lifeline.core.topics import RecordKind
from store import SqliteTelemetryStore
from tests.store.factories import T0

BATCH = 1000


def _gas(i: int) -> Record:
    ts = T0 + (i // 525) * 30_000
    body = GasReading(ts=ts, lel_pct=1.5, temp_c=21.0, humidity_pct=55.0, battery_v=3.6,
                      signal_dbm=-80.0)  # fmt: skip
    return Record(RecordKind.GAS_READING, f"GAS-{i % 525 + 1:04d}", ts, body)


def _station(i: int) -> Record:
    ts = T0 + (i // 1500) * 60_000
    n = i % 1500  # 1,500 distinct stations, 12 per enterprise
    enterprise = f"HEAT-{n // 12 + 1:03d}"
    body = StationTelemetry(
        ts=ts,
        primary_supply_temp_c=95.0,
        primary_return_temp_c=48.0,
        primary_supply_pressure_mpa=0.9,
        primary_return_pressure_mpa=0.3,
        secondary_supply_temp_c=50.0,
        secondary_return_temp_c=38.0,
        indoor_temp_c=20.5,
        pump_running=True,
    )
    return Record(
        RecordKind.STATION_TELEMETRY, f"{enterprise}-S{n % 12 + 1:02d}", ts, body, enterprise
    )


async def test_write_throughput_is_printed(tmp_path: Path) -> None:
    records = [_gas(i) for i in range(30_000)] + [_station(i) for i in range(10_000)]
    points = sum(len(numeric_fields(r)) for r in records)
    store = SqliteTelemetryStore(tmp_path / "telemetry.db")
    try:
        started = time.perf_counter()
        for i in range(0, len(records), BATCH):
            await store.write(records[i : i + BATCH])
        elapsed = time.perf_counter() - started
        stored = await store.count()
    finally:
        await store.close()

    print(
        f"\nsqlite telemetry write: {len(records) / elapsed:,.0f} records/s, "
        f"{points / elapsed:,.0f} points/s (batches of {BATCH})"
    )
    assert stored == points
