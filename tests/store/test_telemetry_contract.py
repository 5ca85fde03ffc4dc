"""The TelemetryStore contract: one suite, run against every adapter.

``sqlite`` uses a real file in tmp_path; ``influx`` a real influxd (the ``influxdb``
fixture). Adapter-specific behaviour lives in test_sqlite_telemetry.py and
test_influx_telemetry.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lifeline.core.payloads import GasEventType, MeterAlarm, MeterReading
from lifeline.core.ports import TelemetryStore
from lifeline.core.records import PRESENCE_SLOT_MS, Bucket, DeviceEvent, Point, Record
from lifeline.core.topics import RecordKind
from store import InfluxTelemetryStore, SqliteTelemetryStore
from tests.influx import InfluxServer
from tests.store.factories import T0, gas, gas_event, meter, station

MIN = 60_000
SLOT = PRESENCE_SLOT_MS


@pytest.fixture(params=["sqlite", "influx"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TelemetryStore]:
    s: TelemetryStore
    if request.param == "sqlite":
        s = SqliteTelemetryStore(tmp_path / "telemetry.db")
    else:
        server: InfluxServer = request.getfixturevalue("influxdb")
        s = InfluxTelemetryStore(server.url, server.database)
    yield s
    await s.close()


def _meter_with(source: str, ts_ms: int, battery_v: float) -> Record:
    body = MeterReading(ts=ts_ms, volume_m3=1.0, battery_v=battery_v)
    return Record(RecordKind.METER_READING, source, ts_ms, body)


async def test_rewriting_same_series_and_ts_overwrites_and_keeps_count(
    store: TelemetryStore,
) -> None:
    await store.write([gas("GAS-0001", T0, 5.0, temp_c=21.0)])
    await store.write([gas("GAS-0001", T0, 7.0, temp_c=21.0)])
    await store.write([gas("GAS-0001", T0, 7.0, temp_c=21.0)])

    assert await store.count() == 2  # lel_pct and temp_c, once each
    assert await store.count("GAS-0001") == 2
    latest = await store.latest(["GAS-0001"], "lel_pct")
    assert latest == {"GAS-0001": Point(T0, 7.0)}


async def test_count_is_per_source_and_over_all_sources(store: TelemetryStore) -> None:
    await store.write(
        [
            gas("GAS-0001", T0, 1.0, temp_c=20.0),
            gas("GAS-0001", T0 + MIN, 1.0),
            station("HEAT-001-S01", T0),  # three metrics
            meter("MTR-00000001", T0, 3.0),
            gas_event("GAS-0002", T0, GasEventType.FAULT),  # no numeric content
        ]
    )

    assert await store.count("GAS-0001") == 3
    assert await store.count("HEAT-001-S01") == 3
    assert await store.count("HEAT-001") == 0  # presence is not a point
    assert await store.count("GAS-0002") == 0
    assert await store.count() == 7
    assert await store.count("GAS-9999") == 0


async def test_history_buckets_hold_mean_min_max_last_and_count(store: TelemetryStore) -> None:
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
    temp = await store.history("GAS-0001", "temp_c", T0, T0 + 4 * MIN, MIN)
    assert temp == [Bucket(ts_ms=T0, mean=-5.0, min=-5.0, max=-5.0, last=-5.0, count=1)]


async def test_history_buckets_are_aligned_to_the_step(store: TelemetryStore) -> None:
    await store.write([gas("GAS-0001", T0 + 90_000, 1.0), gas("GAS-0001", T0 + 150_000, 3.0)])

    buckets = await store.history("GAS-0001", "lel_pct", T0 + 30_000, T0 + 10 * MIN, 2 * MIN)

    assert [(b.ts_ms, b.count) for b in buckets] == [(T0, 1), (T0 + 2 * MIN, 1)]


async def test_history_of_a_metric_two_kinds_share_reads_the_right_source(
    store: TelemetryStore,
) -> None:
    await store.write(
        [_meter_with("MTR-00000001", T0, 3.5), _meter_with("MTR-00000001", T0 + 1, 3.4)]
    )

    buckets = await store.history("MTR-00000001", "battery_v", T0, T0 + MIN, MIN)

    assert buckets == [Bucket(ts_ms=T0, mean=3.45, min=3.4, max=3.5, last=3.4, count=2)]
    assert await store.history("MTR-00000001", "lel_pct", T0, T0 + MIN, MIN) == []
    assert await store.history("MTR-00000001", "no_such_metric", T0, T0 + MIN, MIN) == []


async def test_history_rejects_a_step_that_is_not_positive(store: TelemetryStore) -> None:
    with pytest.raises(ValueError, match="step_ms"):
        await store.history("GAS-0001", "lel_pct", T0, T0 + MIN, 0)


async def test_latest_returns_newest_point_per_source_and_skips_unknown(
    store: TelemetryStore,
) -> None:
    await store.write([gas("GAS-0001", T0 + 2 * MIN, 3.0), gas("GAS-0002", T0, 8.0)])
    await store.write([gas("GAS-0001", T0 + MIN, 9.0)])  # late, older

    latest = await store.latest(["GAS-0001", "GAS-0002", "GAS-0404"], "lel_pct")

    assert latest == {"GAS-0001": Point(T0 + 2 * MIN, 3.0), "GAS-0002": Point(T0, 8.0)}
    assert await store.latest(["GAS-0001"], "no_such_metric") == {}
    assert await store.latest([], "lel_pct") == {}


async def test_latest_answers_for_many_sources_at_once(store: TelemetryStore) -> None:
    ids = [f"MTR-{n:08d}" for n in range(1, 451)]
    await store.write([meter(source, T0 + n, float(n)) for n, source in enumerate(ids)])

    latest = await store.latest([*ids, *ids[:10]], "volume_m3")

    assert latest == {source: Point(T0 + n, float(n)) for n, source in enumerate(ids)}


async def test_metrics_lists_what_a_source_sent(store: TelemetryStore) -> None:
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


async def test_last_seen_never_moves_backwards_with_late_data(store: TelemetryStore) -> None:
    await store.write([gas("GAS-0001", T0 + 10 * MIN, 1.0), gas("GAS-0001", T0 + 5 * MIN, 1.0)])
    await store.write([gas("GAS-0001", T0, 1.0)])  # a late batch
    await store.write([gas_event("GAS-0002", T0 + MIN, GasEventType.HEARTBEAT)])
    await store.write([meter("MTR-00000001", T0 + 3 * MIN, 1.0)])

    seen = await store.last_seen(["GAS-0001", "GAS-0002", "GAS-0003", "MTR-00000001"])

    assert seen == {"GAS-0001": T0 + 10 * MIN, "GAS-0002": T0 + MIN, "MTR-00000001": T0 + 3 * MIN}


async def test_station_records_make_their_enterprise_seen(store: TelemetryStore) -> None:
    await store.write([station("HEAT-007-S01", T0), station("HEAT-007-S02", T0 + MIN)])

    seen = await store.last_seen(["HEAT-007", "HEAT-007-S01"])

    assert seen == {"HEAT-007": T0 + MIN, "HEAT-007-S01": T0}


async def test_coverage_counts_slots_with_records(store: TelemetryStore) -> None:
    await store.write(
        [
            gas("GAS-0001", T0 + 10_000, 1.0),
            gas("GAS-0001", T0 + 20_000, 1.0),  # same slot: counted once
            gas("GAS-0001", T0 + SLOT + 1, 1.0),
            gas("GAS-0001", T0 + 5 * SLOT, 1.0),  # after the range
            gas("GAS-0001", T0 - 1, 1.0),  # before the range
        ]
    )
    await store.write([gas("GAS-0001", T0 + 30_000, 2.0)])  # same slot, another write

    cov = await store.coverage(["GAS-0001", "GAS-0002"], T0, T0 + 4 * SLOT)

    assert cov == {"GAS-0001": 2, "GAS-0002": 0}
    # A slot counts when its start is in the range: T0's slot starts before T0 + 1.
    assert await store.coverage(["GAS-0001"], T0 + 1, T0 + 4 * SLOT) == {"GAS-0001": 1}


async def test_coverage_counts_enterprise_presence_from_its_stations(
    store: TelemetryStore,
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


async def test_coverage_counts_slots_of_late_records(store: TelemetryStore) -> None:
    """A utility replaying its backlog after an outage: the older slots count once the
    records arrive, in every backend (a write cache must not drop them)."""
    await store.write([station("HEAT-001-S01", T0 + 5 * SLOT), gas("GAS-0001", T0 + 5 * SLOT, 1.0)])
    await store.write([station("HEAT-001-S01", T0 + i * SLOT) for i in range(5)])
    await store.write([gas("GAS-0001", T0 + i * SLOT, 1.0) for i in range(5)])
    await store.write([gas("GAS-0001", T0 + 5 * SLOT + 1, 1.0)])  # the current slot again

    cov = await store.coverage(["HEAT-001", "GAS-0001"], T0, T0 + 6 * SLOT)

    assert cov == {"HEAT-001": 6, "GAS-0001": 6}


async def test_first_seen_is_the_oldest_presence_slot_of_each_source(
    store: TelemetryStore,
) -> None:
    """Presence slots are kept for gas channels and enterprises (what on-line rates are
    reported for): an enterprise is first seen with its first station's record, even a
    late one written after a newer record."""
    await store.write([station("HEAT-001-S01", T0 + 2 * SLOT + 30_000)])
    await store.write([station("HEAT-001-S02", T0 + SLOT + 1), gas("GAS-0001", T0 + 5, 1.0)])
    await store.write([gas("GAS-0001", T0 - 1, 1.0)])  # late: an older slot

    first = await store.first_seen(["HEAT-001", "GAS-0001", "GAS-0002"])

    assert first == {"HEAT-001": T0 + SLOT, "GAS-0001": T0 - SLOT}


async def test_events_are_newest_first_within_range_and_limit(store: TelemetryStore) -> None:
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
    assert meter_events == [DeviceEvent(T0, "low_battery"), DeviceEvent(T0, "micro_leak")]


async def test_events_at_one_ts_are_ordered_by_type_and_limited_exactly(
    store: TelemetryStore,
) -> None:
    alarms = [MeterAlarm.OVER_FLOW, MeterAlarm.LOW_BATTERY, MeterAlarm.MAGNETIC_TAMPER]
    await store.write(
        [
            meter("MTR-00000001", T0, 1.0, alarms),
            meter("MTR-00000001", T0 - 1, 1.0, [MeterAlarm.LONG_IDLE]),
        ]
    )

    two = await store.events("MTR-00000001", T0 - MIN, T0 + MIN, limit=2)

    assert two == [DeviceEvent(T0, "low_battery"), DeviceEvent(T0, "magnetic_tamper")]
    assert len(await store.events("MTR-00000001", T0 - MIN, T0 + MIN)) == 4


async def test_rewriting_an_event_replaces_its_detail(store: TelemetryStore) -> None:
    await store.write([gas_event("GAS-0001", T0, GasEventType.FAULT, "sensor open circuit")])
    await store.write([gas_event("GAS-0001", T0, GasEventType.FAULT)])
    await store.write([gas_event("GAS-0001", T0 + 1, GasEventType.TAMPER, "")])

    events = await store.events("GAS-0001", T0, T0 + MIN)

    assert events == [DeviceEvent(T0 + 1, "tamper", ""), DeviceEvent(T0, "fault", None)]


async def test_event_detail_round_trips_any_text(store: TelemetryStore) -> None:
    detail = 'say "hi", a=b \\ back\nslash 燃气 泄漏'
    await store.write([gas_event("GAS-0001", T0, GasEventType.SELF_TEST, detail)])

    assert await store.events("GAS-0001", T0, T0 + 1) == [DeviceEvent(T0, "self_test", detail)]


async def test_ids_outside_the_pattern_have_no_data(store: TelemetryStore) -> None:
    await store.write([gas("GAS-0001", T0, 1.0)])
    odd = "GAS-0001' OR '1'='1"

    assert await store.latest([odd], "lel_pct") == {}
    assert await store.last_seen([odd]) == {}
    assert await store.coverage([odd], T0, T0 + SLOT) == {odd: 0}
    assert await store.count(odd) == 0
    assert await store.history(odd, "lel_pct", T0, T0 + MIN, MIN) == []
    assert await store.metrics(odd) == []
    assert await store.events(odd, T0, T0 + MIN) == []


async def test_closed_store_refuses_calls(store: TelemetryStore) -> None:
    await store.close()
    await store.close()  # idempotent

    with pytest.raises(RuntimeError, match="closed"):
        await store.count()
    with pytest.raises(RuntimeError, match="closed"):
        await store.write([gas("GAS-0001", T0, 1.0)])
