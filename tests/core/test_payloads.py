from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from lifeline.core.payloads import GasReading, MeterReading, ts_to_ms
from lifeline.core.records import Record, device_events, numeric_fields
from lifeline.core.topics import RecordKind


@pytest.mark.parametrize("millis", [0, 1, 7, 123, 999])
def test_ts_to_ms_is_exact_for_every_millisecond(millis: int) -> None:
    base = dt.datetime(2026, 11, 25, 8, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    stamp = base + dt.timedelta(milliseconds=millis)
    expected = 1_795_564_800_000 + millis  # 2026-11-25T00:00:00Z
    assert ts_to_ms(stamp) == expected
    assert ts_to_ms(expected) == expected


def test_rfc3339_without_offset_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"ts": "2026-11-25T08:00:00", "lel_pct": 1}', type=GasReading)


def test_meter_reading_becomes_numeric_fields_and_alarm_events() -> None:
    body = msgspec.json.decode(
        b'{"ts": 1000, "volume_m3": 12.5, "flow_m3h": 0.1, "valve": "closed",'
        b' "alarms": ["micro_leak", "low_battery"]}',
        type=MeterReading,
    )
    record = Record(RecordKind.METER_READING, "MTR-00000001", 1000, body)
    assert dict(numeric_fields(record)) == {"volume_m3": 12.5, "flow_m3h": 0.1, "valve_code": 1.0}
    assert [e.type for e in device_events(record)] == ["micro_leak", "low_battery"]
