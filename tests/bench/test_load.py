"""The bench's traffic is contract-valid, unique per (series, ts), counted exactly, and
quiet (it raises no alert by itself); the probes read back what a store holds."""

from __future__ import annotations

import itertools
import math
import sqlite3
from pathlib import Path

import pytest

from alerts.engine import AlertEngine
from alerts.rules import load_rules
from bench.alarms import percentiles
from bench.load import Kind, LoadGenerator, Mix, Tally, Traffic, alarm_payload, malformed_messages
from bench.publisher import RatePlan
from bench.run import _local_midnight
from bench.store_probe import StoreProbe
from ingest.decode import decode_message
from lifeline.core.records import Record
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.seed import generate_registry
from store import SqliteAlertStore, SqliteTelemetryStore

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def registry() -> Registry:
    return generate_registry(meters=300)


def traffic_of(registry: Registry) -> Traffic:
    now = now_ms()
    return Traffic.of(
        registry,
        base_ms=now - 3_600_000,
        meter_base_ms=_local_midnight(now) - 34 * DAY_MS,
        alarm_channels=100,
    )


def decoded_records(registry: Registry, workers: int, messages: int) -> tuple[list[Record], Tally]:
    traffic = traffic_of(registry)
    records: list[Record] = []
    tally = Tally()
    for worker in range(workers):
        generator = LoadGenerator(traffic, Mix(meter_batch=24), worker, workers)
        for message in itertools.islice(generator, messages):
            decoded = decode_message(
                message.topic, message.payload, registry=registry, now_ms=now_ms()
            )
            assert decoded.rejects == []
            assert len(decoded.records) == message.records
            records += decoded.records
            tally.add(message.kind, message.records, message.checksum)
    return records, tally


def test_records_of_all_publishers_are_valid_and_each_has_its_own_series_and_ts(
    registry: Registry,
) -> None:
    records, tally = decoded_records(registry, workers=3, messages=2000)
    keys = {(r.source_id, r.kind, r.ts_ms) for r in records}
    assert len(keys) == len(records) == tally.total
    assert tally.records[Kind.METER] == 3 * 2000 // 16 * 24  # one meter day per round
    alarm_channels = set(traffic_of(registry).alarm_channels)
    assert not alarm_channels & {r.source_id for r in records}


async def test_bench_traffic_alone_raises_no_alert(registry: Registry, tmp_path: Path) -> None:
    records, _ = decoded_records(registry, workers=2, messages=4000)
    records.sort(key=lambda r: r.ts_ms)
    alerts = SqliteAlertStore(tmp_path / "lifeline.db")

    class Clock:
        def now_ms(self) -> int:
            return now_ms()

    engine = AlertEngine(load_rules(None), registry, alerts, [], Clock())
    await engine.start()
    try:
        for first in range(0, len(records), 1000):
            await engine.accept(records[first : first + 1000])
        traffic = traffic_of(registry)
        alarm = alarm_payload(traffic.alarm_channels[0], records[-1].ts_ms)
        decoded = decode_message(alarm.topic, alarm.payload, registry=registry, now_ms=now_ms())
        await engine.accept(decoded.records)
    finally:
        await engine.stop()
        await alerts.close()
    with sqlite3.connect(tmp_path / "lifeline.db") as conn:
        rows = sorted(conn.execute("SELECT source_id, rule FROM alerts"))
    assert rows == [(traffic.alarm_channels[0], "gas_leak")]


async def test_store_probe_reads_back_counts_and_checksums_from_sqlite(
    registry: Registry, tmp_path: Path
) -> None:
    records, tally = decoded_records(registry, workers=1, messages=1600)
    store = SqliteTelemetryStore(tmp_path / "telemetry.db")
    try:
        await store.write(records)
        await store.write(records[:500])  # redelivery overwrites: counts stay exact
    finally:
        await store.close()
    stored = await StoreProbe(f"sqlite://{tmp_path / 'telemetry.db'}").tally()
    assert stored.records == tally.records
    for kind in (Kind.GAS, Kind.STATION, Kind.METER):
        assert math.isclose(stored.sums[kind], tally.sums[kind], rel_tol=1e-9)


def test_every_malformed_message_is_rejected_once(registry: Registry) -> None:
    flood = malformed_messages(traffic_of(registry), now_ms())
    for topic, payload in itertools.islice(flood, 40):
        decoded = decode_message(topic, payload, registry=registry, now_ms=now_ms())
        assert decoded.records == []
        assert len(decoded.rejects) == 1


def test_rate_plan_allows_ten_times_more_during_a_burst() -> None:
    plan = RatePlan(((0.0, 100.0), (2.0, 1000.0), (3.0, 100.0)))
    assert plan.allowed(1.0) == pytest.approx(100)
    assert plan.allowed(3.0) == pytest.approx(200 + 1000)
    assert plan.allowed(4.0) == pytest.approx(1300)
    assert plan.share(4).allowed(4.0) == pytest.approx(325)
    assert RatePlan.constant(None).allowed(5.0) == math.inf


def test_percentiles_use_the_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentiles(samples) == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentiles([]) == {}
