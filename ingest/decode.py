"""Decoding: one inbound MQTT message (topic + payload) into records and rejections.

Pure (no I/O). :func:`decode_message` enforces every rule of contract v1 in a fixed
order; message-level rules reject the whole message, record-level rules reject one
record and let the others of a batch stand:

1. payload over 256 KiB                              ``oversized``
2. topic shape / identifier pattern                  ``bad_topic`` / ``bad_id``
3. id not in the registry (for that kind of topic)   ``unknown_id``
4. station not of the enterprise in the topic        ``wrong_enterprise``
5. publishing utility (when known) not the owner     ``not_owner``
6. not UTF-8 (a BOM or a NUL byte included), not JSON, not an object  ``bad_json``
7. nested too deep outside the records of a batch    ``too_deep``
8. ``{"batch": [...]}`` over 1,000 / empty           ``batch_too_large`` / ``empty_batch``
9. per record: ``too_deep`` (over MAX_NESTING_DEPTH levels), ``bad_json`` (a lone
   UTF-16 surrogate in a known field; a batch element not an object), ``missing_field``,
   ``wrong_type``, ``not_finite``, ``out_of_range``, ``bad_ts``, ``ts_future``,
   ``ts_too_old``, ``no_measurement``

Before any parser, :mod:`ingest.nesting` measures the nesting on the bytes and cuts out
what opens deeper than a record may (plus the envelope's two levels), so neither
parser can recurse far; records that held a cut are ``too_deep``, the others stand.

Fast path: msgspec decodes the envelope once (batch elements stay ``msgspec.Raw``) and
each record with a cached typed decoder. Literal ``NaN``/``Infinity`` tokens are not
JSON, so such payloads take a slow path through :func:`json.loads` that rejects only
the records holding them. Nothing a client sends raises out of :func:`decode_message`:
an unexpected exception becomes one ``internal`` rejection of the whole message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from ingest.nesting import Nesting, measure_nesting
from lifeline.core.errors import RejectError
from lifeline.core.payloads import (
    MAX_BATCH_RECORDS,
    MAX_FUTURE_MS,
    MAX_NESTING_DEPTH,
    MAX_PAST_MS,
    MAX_PAYLOAD_BYTES,
    STATION_FIELDS,
    Envelope,
    GasEvent,
    GasReading,
    MeterReading,
    RejectReason,
    StationTelemetry,
    ts_to_ms,
)
from lifeline.core.records import Body, Record
from lifeline.core.registry import Registry
from lifeline.core.topics import DEFAULT_PREFIX, InboundTopic, RecordKind, parse_inbound

__all__ = ["Decoded", "Rejection", "decode_message", "ts_ms_of"]

log = logging.getLogger(__name__)

_BODY_TYPES: Final[dict[RecordKind, type[Body]]] = {
    RecordKind.GAS_READING: GasReading,
    RecordKind.GAS_EVENT: GasEvent,
    RecordKind.METER_READING: MeterReading,
    RecordKind.STATION_TELEMETRY: StationTelemetry,
}
_DECODERS: Final[dict[RecordKind, msgspec.json.Decoder[Any]]] = {
    kind: msgspec.json.Decoder(body_type) for kind, body_type in _BODY_TYPES.items()
}
_ENVELOPE: Final = msgspec.json.Decoder(Envelope)
_PATH: Final = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING: Final = re.compile(r"^Object missing required field `(?P<name>[^`]+)`")
_RANGE: Final = re.compile(r"^Expected `[^`]+` (?:of length )?[<>]=? ")
_ENVELOPE_LEVELS: Final = 2  # {"batch": [ ... ]} around the records of a batch
_TOO_DEEP_DETAIL: Final = f"record nests deeper than {MAX_NESTING_DEPTH} levels of arrays/objects"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message (``index is None``) or one record of a batch was rejected.

    ``raw`` is the record's bytes when it comes from a batch, else the whole payload.
    """

    reason: RejectReason
    detail: str
    index: int | None
    raw: bytes


@dataclass(frozen=True, slots=True)
class Decoded:
    """Outcome of one message.

    ``utility_id`` is the utility accountable for the message, which gets its rejects:
    the publisher when the transport knows it, else the owner of the device (for heating
    topics, the owner of the enterprise named in the topic); ``None`` when unknown.
    """

    records: list[Record] = field(default_factory=list)
    rejects: list[Rejection] = field(default_factory=list)
    utility_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    """Who a message is about, after the topic and registry checks."""

    topic: InboundTopic
    owner: str
    enterprise_id: str | None


class _RejectedError(Exception):
    """Internal control flow: one rejection, raised where it is detected."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def ts_ms_of(ts: dt.datetime | int) -> int:
    """Event time in exact integer epoch milliseconds (see lifeline.core.payloads.ts_to_ms)."""
    return ts_to_ms(ts)


def decode_message(
    topic: str,
    payload: bytes,
    *,
    registry: Registry,
    now_ms: int,
    utility_id: str | None = None,
    prefix: str = DEFAULT_PREFIX,
) -> Decoded:
    """Decode one inbound message into accepted records and rejections; never raises.

    ``utility_id`` is the publishing account when the transport knows it; ``None``
    skips the ownership check.
    """
    accountable: str | None = utility_id
    try:
        parse_error: RejectError | None = None
        try:
            parsed = parse_inbound(topic, prefix)
        except RejectError as err:
            parse_error = err
        else:
            if accountable is None:
                accountable = _topic_owner(parsed, registry)
        # Size is judged first (the whole message is refused unread), but the owner named
        # by a well-formed topic is still told about it.
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise _RejectedError(
                RejectReason.OVERSIZED,
                f"payload is {len(payload)} bytes, the limit is {MAX_PAYLOAD_BYTES}",
            )
        if parse_error is not None:
            raise _RejectedError(RejectReason(parse_error.reason), parse_error.detail)
        target = _resolve(parsed, registry, utility_id)
        return _decode_payload(payload, target, now_ms, accountable)
    except _RejectedError as err:
        return Decoded([], [Rejection(err.reason, err.detail, None, payload)], accountable)
    except Exception as err:
        log.exception("ingest_decode_failed", extra={"topic": topic, "bytes": len(payload)})
        detail = f"internal error while decoding: {type(err).__name__}"
        rejection = Rejection(RejectReason.INTERNAL, detail, None, payload)
        return Decoded([], [rejection], accountable)


def _topic_owner(parsed: InboundTopic, registry: Registry) -> str | None:
    """The utility that may publish on this topic: the owner of the enterprise named in
    a heating topic, else the owner of the device; ``None`` if the registry has neither."""
    if parsed.enterprise_id is not None:
        enterprise = registry.enterprises.get(parsed.enterprise_id)
        return None if enterprise is None else enterprise.owner
    return registry.owner_of(parsed.source_id)


def _resolve(parsed: InboundTopic, registry: Registry, utility_id: str | None) -> _Target:
    """Registry checks (rules 3 to 5)."""
    source_id = parsed.source_id
    enterprise_id: str | None = None
    if parsed.kind is RecordKind.STATION_TELEMETRY:
        station = registry.stations.get(source_id)
        if station is None:
            raise _RejectedError(
                RejectReason.UNKNOWN_ID, f"{source_id} is not a registered station"
            )
        if station.enterprise_id != parsed.enterprise_id:
            raise _RejectedError(
                RejectReason.WRONG_ENTERPRISE,
                f"station {source_id} belongs to {station.enterprise_id}, "
                f"not to {parsed.enterprise_id}",
            )
        enterprise_id = station.enterprise_id
    elif parsed.kind is RecordKind.METER_READING:
        if source_id not in registry.meters:
            raise _RejectedError(RejectReason.UNKNOWN_ID, f"{source_id} is not a registered meter")
    elif source_id not in registry.channels:
        raise _RejectedError(
            RejectReason.UNKNOWN_ID, f"{source_id} is not a registered gas channel"
        )
    owner = registry.owner_of(source_id)
    if owner is None:  # a registered id always has an owner; defensive
        raise _RejectedError(RejectReason.UNKNOWN_ID, f"{source_id} has no owner in the registry")
    if utility_id is not None and utility_id != owner:
        raise _RejectedError(RejectReason.NOT_OWNER, f"{utility_id} does not own {source_id}")
    return _Target(parsed, owner, enterprise_id)


def _decode_payload(
    payload: bytes, target: _Target, now_ms: int, accountable: str | None
) -> Decoded:
    """Envelope and records (rules 6 to 9)."""
    text = _utf8_text(payload)
    nesting = measure_nesting(payload, MAX_NESTING_DEPTH, _ENVELOPE_LEVELS)
    try:
        envelope = _ENVELOPE.decode(nesting.payload)
    except msgspec.ValidationError as err:
        raise _RejectedError(*_envelope_error(str(err))) from None
    except msgspec.DecodeError as err:
        return _decode_lenient(text, payload, nesting, target, now_ms, str(err), accountable)
    if envelope.batch is msgspec.UNSET:
        _check_record_depth(nesting)
        record = _decode_record(payload, None, payload, target, now_ms)
        return Decoded(*_split([record]), utility_id=accountable)
    raws = [bytes(raw) for raw in envelope.batch]
    cut = [nesting.cuts_in(raw) for raw in raws]
    _check_envelope_depth(nesting, sum(cut))
    _check_batch_size(len(raws))
    results = [
        _too_deep(i, raw) if cut[i] else _decode_record(raw, i, None, target, now_ms)
        for i, raw in enumerate(raws)
    ]
    return Decoded(*_split(results), utility_id=accountable)


def _utf8_text(payload: bytes) -> str:
    """The payload as text, if it is UTF-8 as the contract says (no BOM, no NUL)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _RejectedError(RejectReason.BAD_JSON, f"payload is not UTF-8: {err.reason}") from None
    if text.startswith("\ufeff"):
        raise _RejectedError(
            RejectReason.BAD_JSON, "payload starts with a byte order mark; send UTF-8 without one"
        )
    if "\x00" in text:  # never valid in JSON text; typical of UTF-16 or UTF-32
        raise _RejectedError(
            RejectReason.BAD_JSON, "payload holds a NUL byte: not UTF-8 JSON (UTF-16/32?)"
        )
    return text


def _check_record_depth(nesting: Nesting) -> None:
    """A payload that is one record may nest MAX_NESTING_DEPTH levels."""
    if nesting.deep:
        raise _RejectedError(RejectReason.TOO_DEEP, _TOO_DEEP_DETAIL)


def _check_envelope_depth(nesting: Nesting, cuts_in_records: int) -> None:
    """Outside its records, a batch payload may nest MAX_NESTING_DEPTH + 2 levels."""
    if nesting.cuts > cuts_in_records:
        raise _RejectedError(
            RejectReason.TOO_DEEP,
            f"payload nests deeper than {MAX_NESTING_DEPTH + _ENVELOPE_LEVELS} levels "
            "outside its batch records",
        )


def _too_deep(index: int, raw: bytes) -> Rejection:
    """A batch record that held a cut; ``raw`` is the record with the cut marked."""
    return Rejection(RejectReason.TOO_DEEP, _TOO_DEEP_DETAIL, index, raw)


def _check_batch_size(size: int) -> None:
    if size > MAX_BATCH_RECORDS:
        raise _RejectedError(
            RejectReason.BATCH_TOO_LARGE,
            f"batch has {size} records, the limit is {MAX_BATCH_RECORDS}",
        )
    if size == 0:
        raise _RejectedError(RejectReason.EMPTY_BATCH, "batch has no records")


def _envelope_error(message: str) -> tuple[RejectReason, str]:
    """Map a ValidationError of the envelope (the payload as a whole)."""
    if _PATH.search(message) is None:  # at the root: not an object
        return RejectReason.BAD_JSON, f"payload is not a JSON object: {message}"
    return RejectReason.WRONG_TYPE, f"batch must be an array of records: {message}"


def _decode_record(
    raw: bytes, index: int | None, whole: bytes | None, target: _Target, now_ms: int
) -> Record | Rejection:
    """One record; a rejection carries ``raw`` (or ``whole`` for a single record)."""
    kind = target.topic.kind
    try:
        body = _DECODERS[kind].decode(raw)
        return _validated(body, target, now_ms)
    except msgspec.ValidationError as err:
        reason, detail = _record_error(str(err))
    except msgspec.DecodeError as err:  # only reachable for malformed batch elements
        reason, detail = RejectReason.BAD_JSON, f"record is not valid JSON: {err}"
    except _RejectedError as err:
        reason, detail = err.reason, err.detail
    return Rejection(reason, detail, index, raw if whole is None else whole)


def _record_error(message: str) -> tuple[RejectReason, str]:
    """Map a msgspec ValidationError message of one record to a reason code."""
    match = _PATH.search(message)
    path = match.group("path") if match else ""
    text = message[: match.start()] if match else message
    if (missing := _MISSING.match(text)) is not None:
        return RejectReason.MISSING_FIELD, f"required field {missing.group('name')} is missing"
    if not path:  # a type error at the root: the record is not an object
        return RejectReason.BAD_JSON, f"record is not a JSON object: {text}"
    name = path.removeprefix(".").split("[", 1)[0].split(".", 1)[0]
    where = name or "record"
    if name == "ts":
        return RejectReason.BAD_TS, (
            f"ts must be RFC 3339 with an offset or integer epoch milliseconds: {text}"
        )
    if text.startswith("Number out of range"):
        return RejectReason.NOT_FINITE, f"{where} is not a finite number"
    if _RANGE.match(text) or text.startswith("Invalid enum value"):
        return RejectReason.OUT_OF_RANGE, f"{where}: {text}"
    return RejectReason.WRONG_TYPE, f"{where}: {text}"


def _validated(body: Body, target: _Target, now_ms: int) -> Record:
    """Checks msgspec cannot express: finiteness, ts window, station content."""
    for name in body.__struct_fields__:
        value = getattr(body, name)
        if isinstance(value, float) and not math.isfinite(value):
            raise _RejectedError(RejectReason.NOT_FINITE, f"{name} is not a finite number")
    ts_ms = ts_ms_of(body.ts)
    if ts_ms > now_ms + MAX_FUTURE_MS:
        raise _RejectedError(
            RejectReason.TS_FUTURE,
            f"ts is {(ts_ms - now_ms) // 1000} s ahead of the platform clock "
            f"(limit {MAX_FUTURE_MS // 1000} s)",
        )
    if ts_ms < now_ms - MAX_PAST_MS:
        raise _RejectedError(
            RejectReason.TS_TOO_OLD,
            f"ts is {(now_ms - ts_ms) // 86_400_000} days old "
            f"(limit {MAX_PAST_MS // 86_400_000} days)",
        )
    if isinstance(body, StationTelemetry) and all(
        getattr(body, name) is None for name in STATION_FIELDS
    ):
        raise _RejectedError(
            RejectReason.NO_MEASUREMENT, "station telemetry carries no measurement"
        )
    return Record(
        kind=target.topic.kind,
        source_id=target.topic.source_id,
        ts_ms=ts_ms,
        body=body,
        enterprise_id=target.enterprise_id,
        utility_id=target.owner,
    )


# --- slow path: payloads msgspec cannot parse (NaN/Infinity tokens, or plain garbage) ---


def _decode_lenient(
    text: str,
    payload: bytes,
    nesting: Nesting,
    target: _Target,
    now_ms: int,
    error: str,
    accountable: str | None,
) -> Decoded:
    """Re-parse with :mod:`json`, which knows NaN/Infinity, to reject only those records.

    It parses the cut payload, as text (:func:`json.loads` would guess UTF-16 from bytes).
    """
    source = text if nesting.cuts == 0 else nesting.payload.decode("utf-8")
    try:
        document = json.loads(source, parse_int=_parse_int)
    except ValueError:
        raise _RejectedError(RejectReason.BAD_JSON, f"payload is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise _RejectedError(RejectReason.BAD_JSON, "payload is not a JSON object")
    if "batch" not in document:
        _check_record_depth(nesting)
        result = _decode_element(document, None, payload, target, now_ms)
        return Decoded(*_split([result]), utility_id=accountable)
    batch = document["batch"]
    if not isinstance(batch, list):
        raise _RejectedError(RejectReason.WRONG_TYPE, "batch must be an array of records")
    marker = nesting.marker[1:-1].decode("ascii")
    cut = [_count_strings(item, marker) if nesting.cuts else 0 for item in batch]
    _check_envelope_depth(nesting, sum(cut))
    _check_batch_size(len(batch))
    results = [
        _too_deep(i, json.dumps(item).encode())
        if cut[i]
        else _decode_element(item, i, None, target, now_ms)
        for i, item in enumerate(batch)
    ]
    return Decoded(*_split(results), utility_id=accountable)


def _parse_int(literal: str) -> int | float:
    """An integer as :func:`json.loads` would make it, except that one with more digits
    than :func:`int` converts (4,300) becomes a float, ±inf (as msgspec makes it)."""
    try:
        return int(literal)
    except ValueError:
        return float(literal)


def _count_strings(value: object, text: str) -> int:
    """How many strings equal to ``text`` ``value`` holds (it nests at most a few dozen
    levels: it comes from a cut payload)."""
    if isinstance(value, str):
        return int(value == text)
    if isinstance(value, dict):
        return sum(_count_strings(item, text) for item in value.values())
    if isinstance(value, list):
        return sum(_count_strings(item, text) for item in value)
    return 0


def _decode_element(
    element: object, index: int | None, whole: bytes | None, target: _Target, now_ms: int
) -> Record | Rejection:
    """A record parsed by :mod:`json`: non-finite known fields reject it, else decode it
    through the typed fast path from re-encoded bytes (unknown fields are dropped)."""
    if isinstance(element, dict):
        known = _BODY_TYPES[target.topic.kind].__struct_fields__
        element = {k: v for k, v in element.items() if k in known}
    path = _non_finite_path(element)
    if path is not None:
        raw = whole if whole is not None else json.dumps(element).encode()
        name = path.removeprefix(".") or "value"
        return Rejection(
            RejectReason.NOT_FINITE, f"{name} is not a finite number (NaN/Infinity)", index, raw
        )
    try:
        raw = msgspec.json.encode(element)
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800", which msgspec refuses
        raw = whole if whole is not None else json.dumps(element).encode()
        return Rejection(
            RejectReason.BAD_JSON,
            "record is not valid JSON: a string holds a lone UTF-16 surrogate escape",
            index,
            raw,
        )
    return _decode_record(raw, index, whole, target, now_ms)


def _split(results: list[Record | Rejection]) -> tuple[list[Record], list[Rejection]]:
    records = [r for r in results if isinstance(r, Record)]
    rejects = [r for r in results if isinstance(r, Rejection)]
    return records, rejects


def _non_finite_path(value: object) -> str | None:
    """Path of the first non-finite float inside ``value``, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else ""
    if isinstance(value, dict):
        for key, item in value.items():
            sub = _non_finite_path(item)
            if sub is not None:
                return f".{key}{sub}"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            sub = _non_finite_path(item)
            if sub is not None:
                return f"[{i}]{sub}"
    return None
