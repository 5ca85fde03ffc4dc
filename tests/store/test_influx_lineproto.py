"""Line protocol encoding and InfluxQL quoting (pure functions)."""

from __future__ import annotations

import pytest

from lifeline.core.payloads import GasEventType, MeterAlarm
from lifeline.core.records import PRESENCE_SLOT_MS, Record
from lifeline.core.registry import Channel, Registry, Utility
from lifeline.core.topics import RecordKind
from store.influx_lineproto import (
    encode_records,
    escape_key,
    escape_measurement,
    escape_string_field,
    format_float,
)
from store.influx_query import quote_ident, quote_string
from store.influx_schema import MEASUREMENTS_OF_METRIC, decode_detail, encode_detail
from tests.store.factories import T0, gas, gas_event, meter, station


def test_keys_and_tag_values_escape_comma_equals_and_space() -> None:
    assert escape_key("West Coast, a=b") == r"West\ Coast\,\ a\=b"
    assert escape_measurement("a b,c=d") == r"a\ b\,c=d"


def test_string_fields_escape_quotes_and_backslashes() -> None:
    assert escape_string_field('say "hi" \\ ok\n') == '"say \\"hi\\" \\\\ ok\n"'


def test_floats_keep_every_digit() -> None:
    assert float(format_float(0.1 + 0.2)) == 0.1 + 0.2
    assert format_float(1e-05) == "1e-05"
    assert format_float(3) == "3.0"


def test_a_reading_becomes_a_data_point_a_seen_point_and_a_presence_point() -> None:
    lines = encode_records([gas("GAS-0001", T0 + 7, 3.5, temp_c=-2.0)])

    assert lines == [
        f"gas,source_id=GAS-0001 lel_pct=3.5,temp_c=-2.0 {T0 + 7}",
        f"seen,source_id=GAS-0001 n=1i {T0 + 7}",
        f"presence,source_id=GAS-0001 n=1i {T0}",
    ]


def test_seen_keeps_only_the_newest_ts_per_source_of_a_batch() -> None:
    lines = encode_records(
        [station("HEAT-001-S01", T0 + 9), station("HEAT-001-S02", T0 + 5), gas("GAS-1", T0, 1.0)]
    )

    seen = sorted(line for line in lines if line.startswith("seen,"))
    assert seen == [
        f"seen,source_id=GAS-1 n=1i {T0}",
        f"seen,source_id=HEAT-001 n=1i {T0 + 9}",
        f"seen,source_id=HEAT-001-S01 n=1i {T0 + 9}",
        f"seen,source_id=HEAT-001-S02 n=1i {T0 + 5}",
    ]
    presence = sorted(line for line in lines if line.startswith("presence,"))
    slot = T0 - T0 % PRESENCE_SLOT_MS
    # on-line rates are reported for channels and enterprises: their slots alone
    assert presence == [
        f"presence,source_id=GAS-1 n=1i {slot}",
        f"presence,source_id=HEAT-001 n=1i {slot}",
    ]
    assert lines[0].startswith("station,enterprise_id=HEAT-001,source_id=HEAT-001-S01 ")


def test_events_are_fields_named_by_type_on_one_point() -> None:
    lines = encode_records(
        [
            gas_event("GAS-0001", T0, GasEventType.ALARM_LOW, "22%"),
            meter(
                "MTR-1", T0 + PRESENCE_SLOT_MS, 1.0, [MeterAlarm.LOW_BATTERY, MeterAlarm.OVER_FLOW]
            ),
        ]
    )

    assert f'event,source_id=GAS-0001 alarm_low="+22%" {T0}' in lines
    ts = T0 + PRESENCE_SLOT_MS
    assert f'event,source_id=MTR-1 low_battery="-",over_flow="-" {ts}' in lines
    assert f"meter,source_id=MTR-1 volume_m3=1.0 {ts}" in lines


def test_registry_tags_are_sorted_and_unsafe_values_left_out() -> None:
    registry = Registry(
        [Utility("gas-x", "X", "gas")],
        [Channel("GAS-0001", "c", "a\\b", "kitchen", "addr", 36.0, 120.0, "gas-x")],
        [],
        [],
        [],
    )

    [data, *_] = encode_records([gas("GAS-0001", T0, 1.0)], registry)

    assert data == f"gas,owner=gas-x,source_id=GAS-0001 lel_pct=1.0 {T0}"


def test_a_source_id_outside_the_pattern_is_refused() -> None:
    bad = Record(RecordKind.GAS_READING, "GAS 1", T0, gas("GAS-1", T0, 1.0).body)
    with pytest.raises(ValueError, match="id pattern"):
        encode_records([bad])


def test_event_detail_encoding_tells_none_from_empty() -> None:
    for detail in (None, "", "x", "+", "-"):
        assert decode_detail(encode_detail(detail)) == detail


def test_influxql_quoting_escapes_quotes_and_backslashes() -> None:
    assert quote_string("a'b\\") == "'a\\'b\\\\'"
    assert quote_ident('we"ird') == '"we\\"ird"'


def test_shared_metric_names_map_to_both_measurements() -> None:
    assert MEASUREMENTS_OF_METRIC["battery_v"] == ("gas", "meter")
    assert MEASUREMENTS_OF_METRIC["lel_pct"] == ("gas",)
    assert MEASUREMENTS_OF_METRIC["valve_code"] == ("meter",)
    assert MEASUREMENTS_OF_METRIC["pump_running"] == ("station",)


def test_written_marks_write_each_slot_once_and_seen_at_most_every_minute() -> None:
    from store.presence import BatchPresence, WrittenMarks

    marks = WrittenMarks(capacity=2, seen_every_ms=60_000)

    def batch(*records: object) -> BatchPresence:
        presence = BatchPresence()
        for record in records:
            presence.add(record)  # type: ignore[arg-type]
        return presence

    first = batch(gas("GAS-1", T0, 1.0))
    newest, slots = marks.unwritten(first)
    assert (newest, len(slots)) == ({"GAS-1": T0}, 1)
    assert marks.unwritten(first) == (newest, slots)  # nothing marked before a write
    marks.written(newest, slots)
    assert marks.unwritten(batch(gas("GAS-1", T0 + 30_000, 1.0))) == ({}, set())
    later = batch(gas("GAS-1", T0 + 60_000, 1.0), gas("GAS-1", T0 + PRESENCE_SLOT_MS, 1.0))
    newest, slots = marks.unwritten(later)
    assert newest == {"GAS-1": T0 + PRESENCE_SLOT_MS}
    assert {slot for _, slot in slots} == {T0 - T0 % PRESENCE_SLOT_MS + PRESENCE_SLOT_MS}
    marks.written(newest, slots)
    marks.written({"GAS-2": T0, "GAS-3": T0}, set())  # capacity 2: GAS-1 is forgotten
    assert marks.unwritten(batch(gas("GAS-1", T0 + 1, 1.0)))[0] == {"GAS-1": T0 + 1}
