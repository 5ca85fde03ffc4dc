"""Records as InfluxDB line protocol (timestamps in milliseconds, ``precision=ms``).

Pure functions: :func:`encode_records` turns a batch of records into lines following
the schema of :mod:`store.influx_schema`. Escaping follows the line protocol spec:
measurement names escape ``,`` and space; tag keys, tag values and field keys escape
``,``, ``=`` and space; string field values escape ``"`` and ``\\``. InfluxDB 1.x keeps
a backslash in a tag value literally, so optional tag values holding a backslash or a
line break (which no escaping can carry) are left out rather than mangled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from lifeline.core.ids import is_valid_id
from lifeline.core.records import Record, device_events, numeric_fields
from lifeline.core.registry import Registry
from lifeline.core.topics import RecordKind
from store.influx_schema import (
    EVENT,
    EVENT_FIELDS,
    MEASUREMENT_OF_KIND,
    MEASUREMENTS_OF_METRIC,
    PRESENCE,
    SEEN,
    encode_detail,
)
from store.presence import BatchPresence

__all__ = [
    "encode_points",
    "encode_records",
    "escape_key",
    "escape_measurement",
    "escape_string_field",
    "format_float",
    "presence_lines",
]

log = logging.getLogger(__name__)

_KEY_ESCAPES: Final = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_MEASUREMENT_ESCAPES: Final = str.maketrans({",": r"\,", " ": r"\ "})
_STRING_ESCAPES: Final = str.maketrans({"\\": "\\\\", '"': '\\"'})
_UNSAFE_TAG_CHARS: Final = frozenset("\\\n\r")
# Field keys come from a fixed set: escape each once ("name=").
_FIELD_PREFIX: Final[dict[str, str]] = {
    name: name.translate(_KEY_ESCAPES) + "=" for name in (*MEASUREMENTS_OF_METRIC, *EVENT_FIELDS)
}


def escape_key(value: str) -> str:
    """A tag key, tag value or field key."""
    return value.translate(_KEY_ESCAPES)


def escape_measurement(value: str) -> str:
    return value.translate(_MEASUREMENT_ESCAPES)


def escape_string_field(value: str) -> str:
    """A string field value, quotes included."""
    return '"' + value.translate(_STRING_ESCAPES) + '"'


def format_float(value: float) -> str:
    """A float field value (``repr`` is exact and InfluxDB parses its exponent form)."""
    return repr(float(value))


def encode_records(records: Sequence[Record], registry: Registry | None = None) -> list[str]:
    """Line protocol for ``records``: their data and event points (:func:`encode_points`)
    and every presence point the batch gives (:func:`presence_lines`)."""
    lines, presence = encode_points(records, registry)
    return lines + presence_lines(presence.newest, presence.slots)


def presence_lines(newest: Mapping[str, int], slots: Iterable[tuple[str, int]]) -> list[str]:
    """One ``seen`` point per source at its newest ts, one ``presence`` point per slot."""
    lines = [f"{SEEN},source_id={escape_key(who)} n=1i {ts}" for who, ts in newest.items()]
    lines += [f"{PRESENCE},source_id={escape_key(who)} n=1i {slot}" for who, slot in slots]
    return lines


def encode_points(
    records: Sequence[Record], registry: Registry | None = None
) -> tuple[list[str], BatchPresence]:
    """One data point per record with numeric content and one event point per record
    with device events; and what the batch says about presence (``store.presence``).

    Raises ``ValueError`` for a source id that breaks the contract's id pattern.
    """
    lines: list[str] = []
    presence = BatchPresence()
    tag_cache: dict[tuple[RecordKind, str, str | None], str] = {}
    for record in records:
        source, ts = record.source_id, record.ts_ms
        key = (record.kind, source, record.enterprise_id)
        tags = tag_cache.get(key)
        if tags is None:
            tags = tag_cache[key] = _tags(record, registry)
        fields = numeric_fields(record)
        if fields:
            body = ",".join([_field_prefix(m) + repr(v) for m, v in fields])
            lines.append(f"{MEASUREMENT_OF_KIND[record.kind]},{tags} {body} {ts}")
        events = device_events(record)
        if events:
            body = ",".join(
                [
                    _field_prefix(e.type) + escape_string_field(encode_detail(e.detail))
                    for e in events
                ]
            )
            lines.append(f"{EVENT},source_id={escape_key(source)} {body} {ts}")
        presence.add(record)
    return lines, presence


def _field_prefix(name: str) -> str:
    prefix = _FIELD_PREFIX.get(name)
    return prefix if prefix is not None else escape_key(name) + "="


def _tags(record: Record, registry: Registry | None) -> str:
    """The sorted tag set of a record's data point (sorted tags are cheaper to index)."""
    source = record.source_id
    if not is_valid_id(source):
        raise ValueError(f"source id {source!r} breaks the id pattern")
    tags: dict[str, str | None] = {"source_id": source}
    kind = record.kind
    if kind is RecordKind.STATION_TELEMETRY:
        enterprise = record.enterprise_id
        if enterprise is None and registry is not None:
            enterprise = registry.enterprise_of(source)
        tags["enterprise_id"] = enterprise
    if registry is not None:
        tags["district"] = registry.district_of(source)
        if kind is not RecordKind.STATION_TELEMETRY:
            tags["owner"] = registry.owner_of(source)
    return ",".join(
        f"{escape_key(k)}={escape_key(v)}" for k, v in sorted(_safe(tags.items(), source))
    )


def _safe(tags: Iterable[tuple[str, str | None]], source: str) -> Iterable[tuple[str, str]]:
    for key, value in tags:
        if not value:
            continue
        if _UNSAFE_TAG_CHARS.intersection(value):
            log.warning(
                "influx_tag_skipped", extra={"source_id": source, "tag": key, "value": value}
            )
            continue
        yield key, value
