"""The InfluxDB schema of Lifeline's telemetry: measurements, tags, fields.

One place for the names both the writer (line protocol) and the reader (InfluxQL) use.
See docs/influxdb.md for the reasoning and the series cardinality.

| measurement | tags | fields | time |
|---|---|---|---|
| ``gas`` | source_id, district, owner | GAS_READING_FIELDS (float) | record ts |
| ``meter`` | source_id, district, owner | METER_READING_FIELDS, valve_code | record ts |
| ``station`` | source_id, enterprise_id, district | STATION_FIELDS (float) | record ts |
| ``event`` | source_id | one string field per event type | record ts |
| ``seen`` | source_id (incl. enterprises) | n=1i | newest ts of a write |
| ``presence`` | source_id (incl. enterprises) | n=1i | PRESENCE_SLOT_MS slot start |

District, owner and (for stations without one in the record) enterprise_id come from
the registry and are only written when the store has one. Queries filter on source_id
only, so they work with or without those tags.
"""

from __future__ import annotations

from typing import Final

from lifeline.core.payloads import STATION_FIELDS, GasEventType, MeterAlarm
from lifeline.core.records import GAS_READING_FIELDS, METER_READING_FIELDS
from lifeline.core.topics import RecordKind

__all__ = [
    "DATA_MEASUREMENTS",
    "EVENT",
    "EVENT_FIELDS",
    "MEASUREMENTS_OF_METRIC",
    "MEASUREMENT_OF_KIND",
    "PRESENCE",
    "SEEN",
    "decode_detail",
    "encode_detail",
]

GAS: Final = "gas"
METER: Final = "meter"
STATION: Final = "station"
EVENT: Final = "event"
SEEN: Final = "seen"
PRESENCE: Final = "presence"

DATA_MEASUREMENTS: Final = (GAS, METER, STATION)

# Gas events carry an optional lel_pct, which belongs to the channel's gas series.
MEASUREMENT_OF_KIND: Final[dict[RecordKind, str]] = {
    RecordKind.GAS_READING: GAS,
    RecordKind.GAS_EVENT: GAS,
    RecordKind.METER_READING: METER,
    RecordKind.STATION_TELEMETRY: STATION,
}

_FIELDS_OF: Final[dict[str, tuple[str, ...]]] = {
    GAS: GAS_READING_FIELDS,
    METER: (*METER_READING_FIELDS, "valve_code"),
    STATION: STATION_FIELDS,
}

# A metric name tells which measurements may hold it (battery_v and signal_dbm: two).
MEASUREMENTS_OF_METRIC: Final[dict[str, tuple[str, ...]]] = {
    metric: tuple(m for m in DATA_MEASUREMENTS if metric in _FIELDS_OF[m])
    for fields in _FIELDS_OF.values()
    for metric in fields
}

# Event type = field key, so (source_id, ts, type) is one InfluxDB point field, exactly
# the key of SQLite's events table; two alarms at one ts are two fields of one point.
EVENT_FIELDS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys([*(t.value for t in GasEventType), *(a.value for a in MeterAlarm)])
)

_WITH_DETAIL: Final = "+"
_NO_DETAIL: Final = "-"


def encode_detail(detail: str | None) -> str:
    """An event field's string value: ``"-"`` for no detail, ``"+" + detail`` otherwise,
    so rewriting an event without detail really clears it (and "" stays "")."""
    return _NO_DETAIL if detail is None else _WITH_DETAIL + detail


def decode_detail(value: str) -> str | None:
    return value[1:] if value.startswith(_WITH_DETAIL) else None
