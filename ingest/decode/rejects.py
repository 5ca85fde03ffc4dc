"""What decoding returns (:class:`Decoded`, :class:`Rejection`) and how a rejection is
raised (:class:`RejectedError`) and worded from msgspec's validation messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from lifeline.core.payloads import RejectReason
from lifeline.core.records import Record

__all__ = [
    "Decoded",
    "RejectedError",
    "Rejection",
    "envelope_error",
    "record_error",
    "split",
]

_PATH: Final = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING: Final = re.compile(r"^Object missing required field `(?P<name>[^`]+)`")
_RANGE: Final = re.compile(r"^Expected `[^`]+` (?:of length )?[<>]=? ")


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


class RejectedError(Exception):
    """Internal control flow: one rejection, raised where it is detected."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def split(results: list[Record | Rejection]) -> tuple[list[Record], list[Rejection]]:
    records = [r for r in results if isinstance(r, Record)]
    rejects = [r for r in results if isinstance(r, Rejection)]
    return records, rejects


def envelope_error(message: str) -> tuple[RejectReason, str]:
    """Map a ValidationError of the envelope (the payload as a whole)."""
    if _PATH.search(message) is None:  # at the root: not an object
        return RejectReason.BAD_JSON, f"payload is not a JSON object: {message}"
    return RejectReason.WRONG_TYPE, f"batch must be an array of records: {message}"


def record_error(message: str) -> tuple[RejectReason, str]:
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
