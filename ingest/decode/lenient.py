"""The slow path: payloads msgspec cannot parse (``NaN``/``Infinity`` tokens, or plain
garbage) are re-parsed by :mod:`json`, so that only the records holding a non-finite
number are rejected; the others go through the typed record decoder."""

from __future__ import annotations

import json
import math

import msgspec

from ingest.decode.limits import (
    check_batch_size,
    check_envelope_depth,
    check_record_depth,
    too_deep,
)
from ingest.decode.record import BODY_TYPES, Target, decode_record
from ingest.decode.rejects import Decoded, RejectedError, Rejection, split
from ingest.nesting import Nesting
from lifeline.core.payloads import RejectReason
from lifeline.core.records import Record

__all__ = ["decode_lenient"]


def decode_lenient(
    text: str,
    payload: bytes,
    nesting: Nesting,
    target: Target,
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
        raise RejectedError(RejectReason.BAD_JSON, f"payload is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise RejectedError(RejectReason.BAD_JSON, "payload is not a JSON object")
    if "batch" not in document:
        check_record_depth(nesting)
        result = _decode_element(document, None, payload, target, now_ms)
        return Decoded(*split([result]), utility_id=accountable)
    batch = document["batch"]
    if not isinstance(batch, list):
        raise RejectedError(RejectReason.WRONG_TYPE, "batch must be an array of records")
    marker = nesting.marker[1:-1].decode("ascii")
    cut = [_count_strings(item, marker) if nesting.cuts else 0 for item in batch]
    check_envelope_depth(nesting, sum(cut))
    check_batch_size(len(batch))
    results = [
        too_deep(i, json.dumps(item).encode())
        if cut[i]
        else _decode_element(item, i, None, target, now_ms)
        for i, item in enumerate(batch)
    ]
    return Decoded(*split(results), utility_id=accountable)


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
    element: object, index: int | None, whole: bytes | None, target: Target, now_ms: int
) -> Record | Rejection:
    """A record parsed by :mod:`json`: non-finite known fields reject it, else decode it
    through the typed fast path from re-encoded bytes (unknown fields are dropped)."""
    if isinstance(element, dict):
        known = BODY_TYPES[target.topic.kind].__struct_fields__
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
    return decode_record(raw, index, whole, target, now_ms)


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
