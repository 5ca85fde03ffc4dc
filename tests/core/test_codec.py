"""The spool's record encoding round-trips every record kind exactly."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from lifeline.core.codec import decode_records, encode_records
from lifeline.core.payloads import GasEventType, GasReading, MeterAlarm, MeterReading, ValveState
from lifeline.core.records import Record
from lifeline.core.topics import RecordKind
from tests.store.factories import T0, gas, gas_event, meter, station


def test_every_record_kind_decodes_back_to_the_same_record_and_body_type() -> None:
    records = [
        gas("GAS-0001", T0, 12.5, temp_c=-3.25),
        gas_event("GAS-0002", T0 + 1, GasEventType.VALVE_CLOSED, detail="阀门关闭"),
        meter("MTR-00000001", T0 + 2, 1234.567, alarms=[MeterAlarm.MICRO_LEAK]),
        Record(
            RecordKind.METER_READING,
            "MTR-00000002",
            T0,
            MeterReading(ts=T0, volume_m3=0.0, flow_m3h=0.0, valve=ValveState.CLOSED),
        ),
        station("HEAT-001-S01", T0 + 3, supply_c=88.8),
    ]

    decoded = decode_records(encode_records(records))

    assert decoded == records
    assert [type(r.body) for r in decoded] == [type(r.body) for r in records]
    assert decoded[4].enterprise_id == "HEAT-001"
    assert decoded[0].utility_id == "gas-huarun"


def test_rfc3339_timestamp_keeps_its_offset_and_epoch_ms_stays_an_int() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    ts = dt.datetime(2023, 11, 15, 6, 20, 0, 123000, tzinfo=beijing)
    records = [
        Record(RecordKind.GAS_READING, "GAS-0001", T0, GasReading(ts=ts, lel_pct=1.0)),
        gas("GAS-0001", T0 + 1, 2.0),
    ]

    first, second = decode_records(encode_records(records))

    assert isinstance(first.body, GasReading)
    assert first.body.ts == ts
    assert isinstance(first.body.ts, dt.datetime)
    assert first.body.ts.utcoffset() == dt.timedelta(hours=8)
    assert isinstance(second.body, GasReading)
    assert type(second.body.ts) is int


def test_foreign_bytes_fail_to_decode() -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_records(msgspec.msgpack.encode([["not_a_kind", "X", 1, None, None, {}]]))
