"""decode_message: every rule of contract v1, in order, with reasons and batch indexes."""

from __future__ import annotations

import datetime as dt
import json
import random

import msgspec
import pytest

from ingest.decode import Decoded, decode_message, ts_ms_of
from lifeline.core.payloads import (
    MAX_PAYLOAD_BYTES,
    GasEvent,
    GasEventType,
    GasReading,
    MeterAlarm,
    MeterReading,
    RejectReason,
    StationTelemetry,
)
from lifeline.core.records import Record
from lifeline.core.registry import Registry
from lifeline.core.topics import RecordKind
from tests.ingest.conftest import NOW_MS

GAS = "lifeline/v1/gas/GAS-0001/reading"
EVENT = "lifeline/v1/gas/GAS-0001/event"
METER = "lifeline/v1/meter/MTR-00000001/reading"
STATION = "lifeline/v1/heat/HEAT-001/HEAT-001-S01/telemetry"
MINUTE = 60_000
DAY = 86_400_000


def decode(
    registry: Registry, topic: str, payload: object, utility_id: str | None = None
) -> Decoded:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_message(topic, raw, registry=registry, now_ms=NOW_MS, utility_id=utility_id)


def only_reject(out: Decoded) -> tuple[RejectReason, int | None]:
    assert out.records == [], out.records
    assert len(out.rejects) == 1, out.rejects
    return out.rejects[0].reason, out.rejects[0].index


def reading(ts: object = NOW_MS, **fields: object) -> dict[str, object]:
    return {"ts": ts, "lel_pct": 3.5, **fields}


# --- accepted ---------------------------------------------------------------------------


def test_gas_reading_with_epoch_ms_becomes_a_record(registry: Registry) -> None:
    out = decode(registry, GAS, reading(temp_c=21.5, signal_dbm=-80))
    assert out.rejects == []
    assert out.utility_id == "gas-huarun"
    assert out.records == [
        Record(
            kind=RecordKind.GAS_READING,
            source_id="GAS-0001",
            ts_ms=NOW_MS,
            body=GasReading(ts=NOW_MS, lel_pct=3.5, temp_c=21.5, signal_dbm=-80.0),
            utility_id="gas-huarun",
        )
    ]


def test_rfc3339_ts_with_offset_is_converted_to_exact_ms(registry: Registry) -> None:
    out = decode(registry, GAS, reading(ts="2026-11-25T15:59:30.123+08:00"))
    assert [r.ts_ms for r in out.records] == [NOW_MS - 30_000 + 123]


def test_ts_ms_of_is_exact_for_every_millisecond() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        ms = rng.randrange(1_000_000_000_000, 2_000_000_000_000)
        stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).replace(
            microsecond=(ms % 1000) * 1000
        )
        assert ts_ms_of(stamp) == ms


def test_unknown_fields_are_ignored(registry: Registry) -> None:
    out = decode(registry, GAS, reading(firmware="1.2.3", extra={"nested": [1, 2]}))
    assert len(out.records) == 1
    assert out.rejects == []


def test_every_record_kind_decodes_into_its_struct(registry: Registry) -> None:
    event = decode(registry, EVENT, {"ts": NOW_MS, "type": "alarm_high", "lel_pct": 55})
    meter = decode(
        registry,
        METER,
        {"ts": NOW_MS, "volume_m3": 1234.5, "valve": "open", "alarms": ["micro_leak"]},
    )
    station = decode(registry, STATION, {"ts": NOW_MS, "indoor_temp_c": 17.2, "pump_running": True})
    assert isinstance(event.records[0].body, GasEvent)
    assert event.records[0].body.type is GasEventType.ALARM_HIGH
    assert isinstance(meter.records[0].body, MeterReading)
    assert meter.records[0].body.alarms == [MeterAlarm.MICRO_LEAK]
    assert station.records[0].kind is RecordKind.STATION_TELEMETRY
    assert station.records[0].enterprise_id == "HEAT-001"
    assert station.records[0].utility_id == "heat-001"
    assert isinstance(station.records[0].body, StationTelemetry)


def test_ts_just_inside_the_window_is_accepted(registry: Registry) -> None:
    out = decode(
        registry,
        GAS,
        {"batch": [reading(NOW_MS + 300_000), reading(NOW_MS - 35 * DAY)]},
    )
    assert len(out.records) == 2
    assert out.rejects == []


# --- message-level rejects ----------------------------------------------------------------


def test_oversized_payload_is_rejected_before_anything_else(registry: Registry) -> None:
    payload = b'{"ts": 1, "lel_pct": 1, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    out = decode_message("not/a/topic", payload, registry=registry, now_ms=NOW_MS)
    assert only_reject(out) == (RejectReason.OVERSIZED, None)


@pytest.mark.parametrize(
    "topic",
    [
        "lifeline/v1/gas/GAS-0001/readings",
        "lifeline/v2/gas/GAS-0001/reading",
        "lifeline/v1/heat/HEAT-001/telemetry",
    ],
)
def test_topic_outside_the_contract_is_bad_topic(registry: Registry, topic: str) -> None:
    assert only_reject(decode(registry, topic, reading())) == (RejectReason.BAD_TOPIC, None)


def test_id_not_matching_the_pattern_is_bad_id(registry: Registry) -> None:
    out = decode(registry, "lifeline/v1/gas/GAS 0001!/reading", reading())
    assert only_reject(out) == (RejectReason.BAD_ID, None)


def test_unknown_id_is_rejected_without_owner(registry: Registry) -> None:
    out = decode(registry, "lifeline/v1/gas/GAS-9999/reading", reading())
    assert only_reject(out) == (RejectReason.UNKNOWN_ID, None)
    assert out.utility_id is None


def test_unknown_station_of_a_known_enterprise_is_reported_to_the_enterprise(
    registry: Registry,
) -> None:
    out = decode(registry, "lifeline/v1/heat/HEAT-002/HEAT-002-S99/telemetry", {"ts": NOW_MS})
    assert only_reject(out) == (RejectReason.UNKNOWN_ID, None)
    assert out.utility_id == "heat-002"


def test_id_of_another_kind_is_unknown_for_that_topic(registry: Registry) -> None:
    out = decode(registry, "lifeline/v1/gas/MTR-00000001/reading", reading())
    assert only_reject(out) == (RejectReason.UNKNOWN_ID, None)


def test_station_under_another_enterprise_is_wrong_enterprise(registry: Registry) -> None:
    out = decode(
        registry, "lifeline/v1/heat/HEAT-002/HEAT-001-S01/telemetry", {"ts": NOW_MS, "heat_gj": 1}
    )
    assert only_reject(out) == (RejectReason.WRONG_ENTERPRISE, None)
    assert out.utility_id == "heat-002"  # the publisher under HEAT-002 hears about it


def test_publisher_that_does_not_own_the_device_is_not_owner(registry: Registry) -> None:
    out = decode(registry, GAS, reading(), utility_id="gas-ganghua")
    assert only_reject(out) == (RejectReason.NOT_OWNER, None)
    assert out.utility_id == "gas-ganghua"  # the publisher, not the owner, hears about it
    assert decode(registry, GAS, reading(), utility_id="gas-huarun").records


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"", b"\xff\xfe{}", b'{"ts": 1, "lel_pct": 2, "x": "\xc3"}', b"[1, 2]", b"42"],
)
def test_not_utf8_json_object_is_bad_json(registry: Registry, payload: bytes) -> None:
    out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
    assert only_reject(out) == (RejectReason.BAD_JSON, None)
    assert out.rejects[0].raw == payload


def test_batch_over_1000_records_rejects_the_whole_message(registry: Registry) -> None:
    out = decode(registry, GAS, {"batch": [reading(NOW_MS - i) for i in range(1001)]})
    assert only_reject(out) == (RejectReason.BATCH_TOO_LARGE, None)


def test_batch_of_exactly_1000_records_is_accepted(registry: Registry) -> None:
    out = decode(registry, GAS, {"batch": [reading(NOW_MS - i) for i in range(1000)]})
    assert len(out.records) == 1000


def test_empty_batch_is_rejected(registry: Registry) -> None:
    assert only_reject(decode(registry, GAS, {"batch": []})) == (RejectReason.EMPTY_BATCH, None)


def test_batch_that_is_not_an_array_is_wrong_type(registry: Registry) -> None:
    out = decode(registry, GAS, {"batch": {"ts": NOW_MS}})
    assert only_reject(out) == (RejectReason.WRONG_TYPE, None)


# --- record-level rejects -----------------------------------------------------------------


def test_missing_required_field(registry: Registry) -> None:
    out = decode(registry, GAS, {"ts": NOW_MS})
    assert only_reject(out) == (RejectReason.MISSING_FIELD, None)
    assert "lel_pct" in out.rejects[0].detail
    assert only_reject(decode(registry, GAS, {"lel_pct": 1}))[0] is RejectReason.MISSING_FIELD


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (GAS, reading(lel_pct="3.5")),
        (GAS, reading(lel_pct=True)),
        (METER, {"ts": NOW_MS, "volume_m3": 1, "alarms": "micro_leak"}),
        (STATION, {"ts": NOW_MS, "pump_running": 1}),
    ],
)
def test_wrong_type(registry: Registry, topic: str, payload: object) -> None:
    assert only_reject(decode(registry, topic, payload)) == (RejectReason.WRONG_TYPE, None)


def test_nan_token_is_not_finite(registry: Registry) -> None:
    payload = json.dumps(reading(lel_pct=float("nan"))).encode()
    assert b"NaN" in payload
    out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
    assert only_reject(out) == (RejectReason.NOT_FINITE, None)
    assert "lel_pct" in out.rejects[0].detail


@pytest.mark.parametrize("literal", [b"1e999", b"-1e999", b"Infinity", b"-Infinity"])
def test_infinity_is_not_finite(registry: Registry, literal: bytes) -> None:
    payload = b'{"ts": %d, "lel_pct": 1, "temp_c": %s}' % (NOW_MS, literal)
    out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
    assert only_reject(out) == (RejectReason.NOT_FINITE, None)


def test_nan_in_an_unknown_field_is_ignored(registry: Registry) -> None:
    out = decode(registry, GAS, reading(vendor_score=float("nan")))
    assert len(out.records) == 1


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (GAS, reading(lel_pct=100.01)),
        (GAS, reading(lel_pct=-0.1)),
        (GAS, reading(battery_v=31)),
        (EVENT, {"ts": NOW_MS, "type": "explosion"}),
        (EVENT, {"ts": NOW_MS, "type": "fault", "detail": "x" * 257}),
        (METER, {"ts": NOW_MS, "volume_m3": -1}),
        (METER, {"ts": NOW_MS, "volume_m3": 1, "valve": "ajar"}),
        (METER, {"ts": NOW_MS, "volume_m3": 1, "alarms": ["low_battery", "gremlins"]}),
        (STATION, {"ts": NOW_MS, "primary_supply_temp_c": 300}),
    ],
)
def test_out_of_range(registry: Registry, topic: str, payload: object) -> None:
    assert only_reject(decode(registry, topic, payload)) == (RejectReason.OUT_OF_RANGE, None)


@pytest.mark.parametrize(
    "ts",
    ["2026-11-25T08:00:00", "2026-11-25", "yesterday", -1, 1.5, True, None, 10**13],
)
def test_bad_ts(registry: Registry, ts: object) -> None:
    assert only_reject(decode(registry, GAS, reading(ts))) == (RejectReason.BAD_TS, None)


def test_ts_more_than_300_s_ahead_is_ts_future(registry: Registry) -> None:
    out = decode(registry, GAS, reading(NOW_MS + 300_001))
    assert only_reject(out) == (RejectReason.TS_FUTURE, None)


def test_ts_older_than_35_days_is_ts_too_old(registry: Registry) -> None:
    out = decode(registry, GAS, reading("2026-10-21T07:59:59.999Z"))
    assert only_reject(out) == (RejectReason.TS_TOO_OLD, None)


def test_station_telemetry_without_measurement(registry: Registry) -> None:
    out = decode(registry, STATION, {"ts": NOW_MS, "note": "all quiet"})
    assert only_reject(out) == (RejectReason.NO_MEASUREMENT, None)


# --- batches ------------------------------------------------------------------------------


def test_bad_records_of_a_batch_are_rejected_and_good_ones_stand(registry: Registry) -> None:
    batch = [
        reading(NOW_MS - 4 * MINUTE),  # 0 good
        {"ts": NOW_MS},  # 1 missing lel_pct
        reading(NOW_MS - 3 * MINUTE, lel_pct=250),  # 2 out of range
        "not an object",  # 3
        reading(NOW_MS + DAY),  # 4 future
        reading(NOW_MS - 2 * MINUTE, firmware="x"),  # 5 good
        reading("2026-11-25T08:00:00"),  # 6 no offset
    ]
    out = decode(registry, GAS, {"batch": batch})
    assert [r.ts_ms for r in out.records] == [NOW_MS - 4 * MINUTE, NOW_MS - 2 * MINUTE]
    assert [(r.index, r.reason) for r in out.rejects] == [
        (1, RejectReason.MISSING_FIELD),
        (2, RejectReason.OUT_OF_RANGE),
        (3, RejectReason.BAD_JSON),
        (4, RejectReason.TS_FUTURE),
        (6, RejectReason.BAD_TS),
    ]
    assert json.loads(out.rejects[0].raw) == {"ts": NOW_MS}


def test_nan_records_of_a_batch_are_rejected_and_others_stand(registry: Registry) -> None:
    batch = [
        reading(NOW_MS - 3 * MINUTE),
        reading(NOW_MS - 2 * MINUTE, temp_c=float("inf")),
        reading(NOW_MS - 1 * MINUTE, lel_pct=float("nan")),
        reading(NOW_MS, lel_pct=101),
    ]
    payload = json.dumps({"batch": batch}).encode()  # Python writes NaN / Infinity tokens
    out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
    assert [r.ts_ms for r in out.records] == [NOW_MS - 3 * MINUTE]
    assert [(r.index, r.reason) for r in out.rejects] == [
        (1, RejectReason.NOT_FINITE),
        (2, RejectReason.NOT_FINITE),
        (3, RejectReason.OUT_OF_RANGE),
    ]
    assert b"NaN" in out.rejects[1].raw


def test_batch_record_reject_carries_its_own_bytes(registry: Registry) -> None:
    payload = b'{"batch": [{"ts": %d, "lel_pct": 1}, {"ts": %d, "lel_pct": "x"}]}' % (
        NOW_MS,
        NOW_MS,
    )
    out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
    assert out.rejects[0].raw == b'{"ts": %d, "lel_pct": "x"}' % NOW_MS


def test_single_record_reject_carries_the_whole_payload(registry: Registry) -> None:
    payload = json.dumps(reading(lel_pct=-5)).encode()
    out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
    assert out.rejects[0].raw == payload


# --- robustness ---------------------------------------------------------------------------


def test_unexpected_exception_becomes_internal_reject(registry: Registry) -> None:
    # A station whose enterprise is missing from the registry makes owner_of raise KeyError.
    registry.stations["HEAT-009-S01"] = msgspec.structs.replace(
        registry.stations["HEAT-001-S01"], id="HEAT-009-S01", enterprise_id="HEAT-009"
    )
    out = decode(registry, "lifeline/v1/heat/HEAT-009/HEAT-009-S01/telemetry", {"ts": NOW_MS})
    assert only_reject(out) == (RejectReason.INTERNAL, None)


def test_random_garbage_never_raises(registry: Registry) -> None:
    rng = random.Random(1)
    fragments = [
        b"{",
        b"}",
        b"[",
        b"]",
        b'"batch"',
        b":",
        b",",
        b"NaN",
        b"1e999",
        b'"ts"',
        b'"lel_pct"',
        b"%d" % NOW_MS,
        b"-",
        b"\xff",
        b"null",
        b'"x"',
        b"true",
    ]
    for _ in range(3000):
        payload = b"".join(rng.choice(fragments) for _ in range(rng.randrange(0, 25)))
        out = decode_message(GAS, payload, registry=registry, now_ms=NOW_MS)
        assert out.records or out.rejects
        assert all(r.reason is not RejectReason.INTERNAL for r in out.rejects), (payload, out)
