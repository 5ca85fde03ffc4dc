"""Wire payloads of contract v1 as msgspec structs, with their physical ranges.

Every float field carries a range; a value outside it (NaN and ±Infinity included)
fails decoding, which the ingester turns into a reject. The ranges are physical
plausibility limits, not alarm set-points: they reject what no instrument can report.
Unknown fields are ignored, as the contract requires.

``ts`` is either RFC 3339 with an offset or integer milliseconds since the epoch;
:func:`ts_to_ms` turns both into the integer milliseconds used everywhere inside.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Final

import msgspec
from msgspec import Meta

__all__ = [
    "MAX_BATCH_RECORDS",
    "MAX_FUTURE_MS",
    "MAX_NESTING_DEPTH",
    "MAX_PAST_MS",
    "MAX_PAYLOAD_BYTES",
    "STATION_FIELDS",
    "AlertEvent",
    "Envelope",
    "GasEvent",
    "GasEventType",
    "GasReading",
    "MeterAlarm",
    "MeterReading",
    "Reject",
    "RejectReason",
    "StationTelemetry",
    "Timestamp",
    "ValveState",
    "ts_to_ms",
]

MAX_PAYLOAD_BYTES: Final = 256 * 1024
MAX_BATCH_RECORDS: Final = 1000
MAX_FUTURE_MS: Final = 300 * 1000
MAX_PAST_MS: Final = 35 * 24 * 3600 * 1000
# Levels of arrays and objects a record may nest, its own object being level 1 (known
# fields need 2: ``alarms``). Deeper is ``too_deep``; the parsers recurse per level, so
# this is what keeps a hostile payload from exhausting the interpreter's stack.
MAX_NESTING_DEPTH: Final = 32

# RFC 3339 with a mandatory offset, or epoch milliseconds (0 .. year 2286).
Timestamp = Annotated[dt.datetime, Meta(tz=True)] | Annotated[int, Meta(ge=0, lt=10**13)]

Pct = Annotated[float, Meta(ge=0.0, le=100.0)]
AmbientC = Annotated[float, Meta(ge=-50.0, le=100.0)]
BatteryV = Annotated[float, Meta(ge=0.0, le=30.0)]
SignalDbm = Annotated[float, Meta(ge=-200.0, le=0.0)]
WaterC = Annotated[float, Meta(ge=-50.0, le=250.0)]
PressureMpa = Annotated[float, Meta(ge=-0.1, le=10.0)]
FlowTh = Annotated[float, Meta(ge=0.0, le=100_000.0)]
Cumulative = Annotated[float, Meta(ge=0.0, le=1e12)]
MeterFlow = Annotated[float, Meta(ge=0.0, le=1000.0)]
Detail = Annotated[str, Meta(max_length=256)]


class GasEventType(enum.StrEnum):
    ALARM_LOW = "alarm_low"
    ALARM_HIGH = "alarm_high"
    ALARM_CLEARED = "alarm_cleared"
    FAULT = "fault"
    FAULT_CLEARED = "fault_cleared"
    POWER_LOST = "power_lost"
    POWER_RESTORED = "power_restored"
    VALVE_CLOSED = "valve_closed"
    VALVE_OPENED = "valve_opened"
    FAN_ON = "fan_on"
    FAN_OFF = "fan_off"
    CALIBRATION_DUE = "calibration_due"
    TAMPER = "tamper"
    SELF_TEST = "self_test"
    HEARTBEAT = "heartbeat"


class MeterAlarm(enum.StrEnum):
    MAGNETIC_TAMPER = "magnetic_tamper"
    LOW_BATTERY = "low_battery"
    VALVE_FAULT = "valve_fault"
    OVER_FLOW = "over_flow"
    CONTINUOUS_FLOW = "continuous_flow"
    MICRO_LEAK = "micro_leak"
    LONG_IDLE = "long_idle"


class ValveState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    FAULT = "fault"


class GasReading(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    ts: Timestamp
    lel_pct: Pct
    temp_c: AmbientC | None = None
    humidity_pct: Pct | None = None
    battery_v: BatteryV | None = None
    signal_dbm: SignalDbm | None = None


class GasEvent(msgspec.Struct, frozen=True):
    ts: Timestamp
    type: GasEventType
    lel_pct: Pct | None = None
    detail: Detail | None = None


class MeterReading(msgspec.Struct, frozen=True):
    ts: Timestamp
    volume_m3: Cumulative
    flow_m3h: MeterFlow | None = None
    battery_v: BatteryV | None = None
    valve: ValveState | None = None
    signal_dbm: SignalDbm | None = None
    alarms: Annotated[list[MeterAlarm], Meta(max_length=16)] = []


class StationTelemetry(msgspec.Struct, frozen=True):
    ts: Timestamp
    primary_supply_temp_c: WaterC | None = None
    primary_return_temp_c: WaterC | None = None
    primary_supply_pressure_mpa: PressureMpa | None = None
    primary_return_pressure_mpa: PressureMpa | None = None
    primary_flow_t_h: FlowTh | None = None
    secondary_supply_temp_c: WaterC | None = None
    secondary_return_temp_c: WaterC | None = None
    secondary_supply_pressure_mpa: PressureMpa | None = None
    secondary_return_pressure_mpa: PressureMpa | None = None
    secondary_flow_t_h: FlowTh | None = None
    heat_gj: Cumulative | None = None
    makeup_water_t: Cumulative | None = None
    outdoor_temp_c: AmbientC | None = None
    indoor_temp_c: AmbientC | None = None
    pump_running: bool | None = None


# Numeric station fields in contract order (pump_running is stored as 0/1).
STATION_FIELDS: Final[tuple[str, ...]] = tuple(
    f for f in StationTelemetry.__struct_fields__ if f != "ts"
)


class Envelope(msgspec.Struct):
    """Outer shape of a payload: ``{"batch": [...]}``; ``batch`` is UNSET for one record."""

    batch: list[msgspec.Raw] | msgspec.UnsetType = msgspec.UNSET


class RejectReason(enum.StrEnum):
    """Machine codes of the Reject payload."""

    OVERSIZED = "oversized"  # payload over 256 KiB
    BAD_JSON = "bad_json"  # not UTF-8 JSON, or not an object
    TOO_DEEP = "too_deep"  # arrays/objects nested deeper than MAX_NESTING_DEPTH
    BAD_TOPIC = "bad_topic"  # not an inbound topic of the contract
    BAD_ID = "bad_id"  # id does not match the identifier pattern
    BATCH_TOO_LARGE = "batch_too_large"  # more than 1,000 records
    EMPTY_BATCH = "empty_batch"  # {"batch": []}
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"  # NaN or +-Infinity
    OUT_OF_RANGE = "out_of_range"
    BAD_TS = "bad_ts"  # ts unparsable, or without an offset
    TS_FUTURE = "ts_future"  # more than 300 s ahead of the platform clock
    TS_TOO_OLD = "ts_too_old"  # older than 35 days
    NO_MEASUREMENT = "no_measurement"  # station telemetry with none of its fields
    UNKNOWN_ID = "unknown_id"  # id not in the registry
    NOT_OWNER = "not_owner"  # publishing utility does not own the device
    WRONG_ENTERPRISE = "wrong_enterprise"  # station not of the enterprise in the topic
    INTERNAL = "internal"  # a bug on our side; the record was not stored


class Reject(msgspec.Struct, frozen=True):
    """Published on ``{prefix}/rejects/{utility_id}`` for every rejected message or record."""

    topic: str
    reason: str
    detail: str
    index: int | None
    received_at: str


class AlertEvent(msgspec.Struct, frozen=True):
    """Published on ``{prefix}/alerts/{severity}/{source_id}`` at every alert state change."""

    id: int
    source_id: str
    source_kind: str
    rule: str
    severity: str
    state: str
    message: str
    value: float | None
    threshold: float | None
    raised_at: str
    updated_at: str
    acked_by: str | None
    note: str | None


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MS: Final = dt.timedelta(milliseconds=1)


def ts_to_ms(ts: dt.datetime | int) -> int:
    """Event time in integer milliseconds since the Unix epoch."""
    if isinstance(ts, int):
        return ts
    return (ts - _EPOCH) // _ONE_MS
