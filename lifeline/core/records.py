"""Validated records: what the ingester hands to the store and the rule engine.

A :class:`Record` is built once from a decoded payload and never changes. Numeric
content is exposed as ``(metric, value)`` pairs by :func:`numeric_fields`; that is the
shape every telemetry store writes (series = source id + metric, keyed by ``ts_ms``).
"""

from __future__ import annotations

from typing import Final

import msgspec

from lifeline.core.payloads import (
    STATION_FIELDS,
    GasEvent,
    GasReading,
    MeterReading,
    StationTelemetry,
    ValveState,
)
from lifeline.core.topics import RecordKind

__all__ = [
    "GAS_READING_FIELDS",
    "METER_READING_FIELDS",
    "PRESENCE_SLOT_MS",
    "VALVE_CODES",
    "Body",
    "Bucket",
    "DeviceEvent",
    "Point",
    "Record",
    "device_events",
    "numeric_fields",
]

Body = GasReading | GasEvent | MeterReading | StationTelemetry

PRESENCE_SLOT_MS: Final = 5 * 60 * 1000
VALVE_CODES: Final[dict[ValveState, float]] = {
    ValveState.OPEN: 0.0,
    ValveState.CLOSED: 1.0,
    ValveState.FAULT: 2.0,
}

GAS_READING_FIELDS: Final = ("lel_pct", "temp_c", "humidity_pct", "battery_v", "signal_dbm")
METER_READING_FIELDS: Final = ("volume_m3", "flow_m3h", "battery_v", "signal_dbm")


class Record(msgspec.Struct, frozen=True):
    """One accepted record. ``utility_id`` is the publishing account, when known."""

    kind: RecordKind
    source_id: str
    ts_ms: int
    body: Body
    enterprise_id: str | None = None
    utility_id: str | None = None


class Point(msgspec.Struct, frozen=True):
    ts_ms: int
    value: float


class DeviceEvent(msgspec.Struct, frozen=True):
    """A gas event (``type`` = GasEventType) or a meter alarm (``type`` = MeterAlarm)."""

    ts_ms: int
    type: str
    detail: str | None = None


class Bucket(msgspec.Struct, frozen=True):
    """One downsampled interval of a series, starting at ``ts_ms``."""

    ts_ms: int
    mean: float
    min: float
    max: float
    last: float
    count: int


def numeric_fields(record: Record) -> list[tuple[str, float]]:
    """The numeric measurements of a record as ``(metric, value)`` pairs.

    Gas events contribute their optional ``lel_pct``; booleans become 0/1; a meter's
    ``valve`` becomes ``valve_code`` (see VALVE_CODES).
    """
    body = record.body
    names: tuple[str, ...]
    if isinstance(body, GasReading):
        names = GAS_READING_FIELDS
    elif isinstance(body, MeterReading):
        names = METER_READING_FIELDS
    elif isinstance(body, StationTelemetry):
        names = STATION_FIELDS
    else:
        return [] if body.lel_pct is None else [("lel_pct", body.lel_pct)]
    out: list[tuple[str, float]] = []
    for name in names:
        value = getattr(body, name)
        if value is not None:
            out.append((name, float(value)))
    if isinstance(body, MeterReading) and body.valve is not None:
        out.append(("valve_code", VALVE_CODES[body.valve]))
    return out


def device_events(record: Record) -> list[DeviceEvent]:
    """The events a record carries: a gas event, or one per meter alarm."""
    body = record.body
    if isinstance(body, GasEvent):
        return [DeviceEvent(record.ts_ms, body.type.value, body.detail)]
    if isinstance(body, MeterReading):
        return [DeviceEvent(record.ts_ms, alarm.value) for alarm in body.alarms]
    return []
