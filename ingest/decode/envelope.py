"""The payload (rules 6 to 8) on the fast path: UTF-8 text, the nesting cut, the
envelope decoded once by msgspec, then one record or each record of a batch. A payload
msgspec cannot parse goes to :mod:`ingest.decode.lenient`."""

from __future__ import annotations

from typing import Final

import msgspec

from ingest.decode.lenient import decode_lenient
from ingest.decode.limits import (
    ENVELOPE_LEVELS,
    check_batch_size,
    check_envelope_depth,
    check_record_depth,
    too_deep,
)
from ingest.decode.record import Target, decode_record
from ingest.decode.rejects import Decoded, RejectedError, envelope_error, split
from ingest.nesting import measure_nesting
from lifeline.core.payloads import MAX_NESTING_DEPTH, Envelope, RejectReason

__all__ = ["decode_payload"]

_ENVELOPE: Final = msgspec.json.Decoder(Envelope)


def decode_payload(payload: bytes, target: Target, now_ms: int, accountable: str | None) -> Decoded:
    """Envelope and records (rules 6 to 9)."""
    text = _utf8_text(payload)
    nesting = measure_nesting(payload, MAX_NESTING_DEPTH, ENVELOPE_LEVELS)
    try:
        envelope = _ENVELOPE.decode(nesting.payload)
    except msgspec.ValidationError as err:
        raise RejectedError(*envelope_error(str(err))) from None
    except msgspec.DecodeError as err:
        return decode_lenient(text, payload, nesting, target, now_ms, str(err), accountable)
    if envelope.batch is msgspec.UNSET:
        check_record_depth(nesting)
        record = decode_record(payload, None, payload, target, now_ms)
        return Decoded(*split([record]), utility_id=accountable)
    raws = [bytes(raw) for raw in envelope.batch]
    cut = [nesting.cuts_in(raw) for raw in raws]
    check_envelope_depth(nesting, sum(cut))
    check_batch_size(len(raws))
    results = [
        too_deep(i, raw) if cut[i] else decode_record(raw, i, None, target, now_ms)
        for i, raw in enumerate(raws)
    ]
    return Decoded(*split(results), utility_id=accountable)


def _utf8_text(payload: bytes) -> str:
    """The payload as text, if it is UTF-8 as the contract says (no BOM, no NUL)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RejectedError(RejectReason.BAD_JSON, f"payload is not UTF-8: {err.reason}") from None
    if text.startswith("\ufeff"):
        raise RejectedError(
            RejectReason.BAD_JSON, "payload starts with a byte order mark; send UTF-8 without one"
        )
    if "\x00" in text:  # never valid in JSON text; typical of UTF-16 or UTF-32
        raise RejectedError(
            RejectReason.BAD_JSON, "payload holds a NUL byte: not UTF-8 JSON (UTF-16/32?)"
        )
    return text
