"""Time helpers: everything inside Lifeline is integer epoch milliseconds (event time)."""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["SystemClock", "iso_ms", "ms_to_datetime", "now_ms"]


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def ms_to_datetime(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso_ms(ms: int) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. ``2026-11-25T08:00:00.000Z``."""
    return ms_to_datetime(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SystemClock:
    """The wall clock as a :class:`lifeline.core.ports.Clock` (the one every role uses)."""

    def now_ms(self) -> int:
        return now_ms()
