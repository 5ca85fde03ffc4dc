"""Report periods in local time (Asia/Shanghai): a day (24 hourly buckets), an ISO week
(Monday to Sunday, 7 daily buckets) or a calendar month (daily buckets). Pure."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Literal

from api.timeparse import LOCAL_TZ

__all__ = ["Bucket", "PeriodKind", "ReportPeriod", "report_period"]

PeriodKind = Literal["day", "week", "month"]


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    kind: PeriodKind
    label: str  # 2026-01-15, 2026-W03, 2026-01
    start_ms: int
    end_ms: int
    buckets: tuple[Bucket, ...]


def _ms(day: dt.date, hour: int = 0) -> int:
    local = dt.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)
    return int(local.timestamp() * 1000)


def _days(first: dt.date, count: int) -> tuple[Bucket, ...]:
    days = [first + dt.timedelta(days=i) for i in range(count + 1)]
    return tuple(
        Bucket(day.isoformat(), _ms(day), _ms(after)) for day, after in itertools.pairwise(days)
    )


def report_period(kind: PeriodKind, day: dt.date) -> ReportPeriod:
    """The period of ``kind`` that contains the local date ``day``."""
    if kind == "day":
        hours = tuple(
            Bucket(
                f"{h:02d}:00",
                _ms(day, h),
                _ms(day, h + 1) if h < 23 else _ms(day + dt.timedelta(days=1)),
            )
            for h in range(24)
        )
        return ReportPeriod(kind, day.isoformat(), hours[0].start_ms, hours[-1].end_ms, hours)
    if kind == "week":
        monday = day - dt.timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        buckets = _days(monday, 7)
        return ReportPeriod(
            kind, f"{year}-W{week:02d}", buckets[0].start_ms, buckets[-1].end_ms, buckets
        )
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    buckets = _days(first, (following - first).days)
    return ReportPeriod(kind, f"{first:%Y-%m}", buckets[0].start_ms, buckets[-1].end_ms, buckets)
