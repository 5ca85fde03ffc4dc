""":func:`decode_message`: size, topic and registry checks (rules 1 to 5), then the
payload (:mod:`ingest.decode.envelope`). Never raises."""

from __future__ import annotations

import logging

from ingest.decode.envelope import decode_payload
from ingest.decode.record import Target
from ingest.decode.rejects import Decoded, RejectedError, Rejection
from lifeline.core.errors import RejectError
from lifeline.core.payloads import MAX_PAYLOAD_BYTES, RejectReason
from lifeline.core.registry import Registry
from lifeline.core.topics import DEFAULT_PREFIX, InboundTopic, RecordKind, parse_inbound

__all__ = ["decode_message"]

log = logging.getLogger("ingest.decode")  # the name it logged under before the split


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
            raise RejectedError(
                RejectReason.OVERSIZED,
                f"payload is {len(payload)} bytes, the limit is {MAX_PAYLOAD_BYTES}",
            )
        if parse_error is not None:
            raise RejectedError(RejectReason(parse_error.reason), parse_error.detail)
        target = _resolve(parsed, registry, utility_id)
        return decode_payload(payload, target, now_ms, accountable)
    except RejectedError as err:
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


def _resolve(parsed: InboundTopic, registry: Registry, utility_id: str | None) -> Target:
    """Registry checks (rules 3 to 5)."""
    source_id = parsed.source_id
    enterprise_id: str | None = None
    if parsed.kind is RecordKind.STATION_TELEMETRY:
        station = registry.stations.get(source_id)
        if station is None:
            raise RejectedError(RejectReason.UNKNOWN_ID, f"{source_id} is not a registered station")
        if station.enterprise_id != parsed.enterprise_id:
            raise RejectedError(
                RejectReason.WRONG_ENTERPRISE,
                f"station {source_id} belongs to {station.enterprise_id}, "
                f"not to {parsed.enterprise_id}",
            )
        enterprise_id = station.enterprise_id
    elif parsed.kind is RecordKind.METER_READING:
        if source_id not in registry.meters:
            raise RejectedError(RejectReason.UNKNOWN_ID, f"{source_id} is not a registered meter")
    elif source_id not in registry.channels:
        raise RejectedError(RejectReason.UNKNOWN_ID, f"{source_id} is not a registered gas channel")
    owner = registry.owner_of(source_id)
    if owner is None:  # a registered id always has an owner; defensive
        raise RejectedError(RejectReason.UNKNOWN_ID, f"{source_id} has no owner in the registry")
    if utility_id is not None and utility_id != owner:
        raise RejectedError(RejectReason.NOT_OWNER, f"{utility_id} does not own {source_id}")
    return Target(parsed, owner, enterprise_id)
