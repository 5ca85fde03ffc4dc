"""The envelope limits both parsers apply: nesting depth (rule 7, and ``too_deep`` for
one record) and batch size (rule 8)."""

from __future__ import annotations

from typing import Final

from ingest.decode.rejects import RejectedError, Rejection
from ingest.nesting import Nesting
from lifeline.core.payloads import MAX_BATCH_RECORDS, MAX_NESTING_DEPTH, RejectReason

__all__ = [
    "ENVELOPE_LEVELS",
    "check_batch_size",
    "check_envelope_depth",
    "check_record_depth",
    "too_deep",
]

ENVELOPE_LEVELS: Final = 2  # {"batch": [ ... ]} around the records of a batch
_TOO_DEEP_DETAIL: Final = f"record nests deeper than {MAX_NESTING_DEPTH} levels of arrays/objects"


def check_record_depth(nesting: Nesting) -> None:
    """A payload that is one record may nest MAX_NESTING_DEPTH levels."""
    if nesting.deep:
        raise RejectedError(RejectReason.TOO_DEEP, _TOO_DEEP_DETAIL)


def check_envelope_depth(nesting: Nesting, cuts_in_records: int) -> None:
    """Outside its records, a batch payload may nest MAX_NESTING_DEPTH + 2 levels."""
    if nesting.cuts > cuts_in_records:
        raise RejectedError(
            RejectReason.TOO_DEEP,
            f"payload nests deeper than {MAX_NESTING_DEPTH + ENVELOPE_LEVELS} levels "
            "outside its batch records",
        )


def too_deep(index: int, raw: bytes) -> Rejection:
    """A batch record that held a cut; ``raw`` is the record with the cut marked."""
    return Rejection(RejectReason.TOO_DEEP, _TOO_DEEP_DETAIL, index, raw)


def check_batch_size(size: int) -> None:
    if size > MAX_BATCH_RECORDS:
        raise RejectedError(
            RejectReason.BATCH_TOO_LARGE,
            f"batch has {size} records, the limit is {MAX_BATCH_RECORDS}",
        )
    if size == 0:
        raise RejectedError(RejectReason.EMPTY_BATCH, "batch has no records")
