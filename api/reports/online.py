"""On-line rates of a report. Pure.

A source is counted from the later of the report's start and its registration
(``registered_at_ms``; for seeded demo data, which has none, its first record) — not
from midnight or the month's first day: a source added on the 20th is judged on the
slots since the 20th. The count runs to the earlier of the report's end and "now".
Slots are ``PRESENCE_SLOT_MS`` (5 min); the slot a source registered in counts.
"""

from __future__ import annotations

import math

from api.reports.model import OnlineRow
from lifeline.core.records import PRESENCE_SLOT_MS

__all__ = ["counted_span", "online_row", "overall_rate"]


def counted_span(
    start_ms: int, end_ms: int, now_ms: int, registered_ms: int | None
) -> tuple[int | None, int]:
    """(first counted instant, expected slots); (None, 0) when not registered by then."""
    if registered_ms is None:
        return None, 0
    begin = max(start_ms, registered_ms - registered_ms % PRESENCE_SLOT_MS)
    end = min(end_ms, now_ms)
    if end <= begin:
        return None, 0
    return begin, math.ceil((end - begin) / PRESENCE_SLOT_MS)


def online_row(
    source_id: str,
    name: str,
    district: str,
    owner: str,
    span: tuple[int | None, int],
    present: int,
) -> OnlineRow:
    begin, expected = span
    rate = None if begin is None or expected == 0 else min(1.0, present / expected)
    return OnlineRow(
        source_id, name, district, owner, begin, expected, min(present, expected), rate
    )


def overall_rate(rows: list[OnlineRow]) -> float | None:
    """Present over expected slots of every counted source."""
    expected = sum(r.expected_slots for r in rows if r.rate is not None)
    if expected == 0:
        return None
    return sum(r.present_slots for r in rows if r.rate is not None) / expected
