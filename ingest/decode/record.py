"""One record (rule 9): the typed msgspec decode, then what msgspec cannot express —
finiteness, the timestamp window, a station record carrying a measurement."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from ingest.decode.rejects import RejectedError, Rejection, record_error
from lifeline.core.payloads import (
    MAX_FUTURE_MS,
    MAX_PAST_MS,
    STATION_FIELDS,
    GasEvent,
    GasReading,
    MeterReading,
    RejectReason,
    StationTelemetry,
    ts_to_ms,
)
from lifeline.core.records import Body, Record
from lifeline.core.topics import InboundTopic, RecordKind

__all__ = ["BODY_TYPES", "Target", "decode_record", "ts_ms_of"]

BODY_TYPES: Final[dict[RecordKind, type[Body]]] = {
    RecordKind.GAS_READING: GasReading,
    RecordKind.GAS_EVENT: GasEvent,
    RecordKind.METER_READING: MeterReading,
    RecordKind.STATION_TELEMETRY: StationTelemetry,
}
_DECODERS: Final[dict[RecordKind, msgspec.json.Decoder[Any]]] = {
    kind: msgspec.json.Decoder(body_type) for kind, body_type in BODY_TYPES.items()
}


@dataclass(frozen=True, slots=True)
class Target:
    """Who a message is about, after the topic and registry checks."""

    topic: InboundTopic
    owner: str
    enterprise_id: str | None


def ts_ms_of(ts: dt.datetime | int) -> int:
    """Event time in exact integer epoch milliseconds (see lifeline.core.payloads.ts_to_ms)."""
    return ts_to_ms(ts)


def decode_record(
    raw: bytes, index: int | None, whole: bytes | None, target: Target, now_ms: int
) -> Record | Rejection:
    """One record; a rejection carries ``raw`` (or ``whole`` for a single record)."""
    kind = target.topic.kind
    try:
        body = _DECODERS[kind].decode(raw)
        return _validated(body, target, now_ms)
    except msgspec.ValidationError as err:
        reason, detail = record_error(str(err))
    except msgspec.DecodeError as err:  # only reachable for malformed batch elements
        reason, detail = RejectReason.BAD_JSON, f"record is not valid JSON: {err}"
    except RejectedError as err:
        reason, detail = err.reason, err.detail
    return Rejection(reason, detail, index, raw if whole is None else whole)


def _validated(body: Body, target: Target, now_ms: int) -> Record:
    """Checks msgspec cannot express: finiteness, ts window, station content."""
    for name in body.__struct_fields__:
        value = getattr(body, name)
        if isinstance(value, float) and not math.isfinite(value):
            raise RejectedError(RejectReason.NOT_FINITE, f"{name} is not a finite number")
    ts_ms = ts_ms_of(body.ts)
    if ts_ms > now_ms + MAX_FUTURE_MS:
        raise RejectedError(
            RejectReason.TS_FUTURE,
            f"ts is {(ts_ms - now_ms) // 1000} s ahead of the platform clock "
            f"(limit {MAX_FUTURE_MS // 1000} s)",
        )
    if ts_ms < now_ms - MAX_PAST_MS:
        raise RejectedError(
            RejectReason.TS_TOO_OLD,
            f"ts is {(now_ms - ts_ms) // 86_400_000} days old "
            f"(limit {MAX_PAST_MS // 86_400_000} days)",
        )
    if isinstance(body, StationTelemetry) and all(
        getattr(body, name) is None for name in STATION_FIELDS
    ):
        raise RejectedError(RejectReason.NO_MEASUREMENT, "station telemetry carries no measurement")
    return Record(
        kind=target.topic.kind,
        source_id=target.topic.source_id,
        ts_ms=ts_ms,
        body=body,
        enterprise_id=target.enterprise_id,
        utility_id=target.owner,
    )
