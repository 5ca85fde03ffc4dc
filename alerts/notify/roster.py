"""Who is on call now: a roster's shifts at a wall-clock instant. Pure.

A shift runs ``from``-``to`` in the roster's time zone on each of its ``days``; a shift
whose ``to`` is not after its ``from`` runs past midnight and belongs to the day it
starts (``fri 20:00-08:00`` covers Saturday 03:00). Overlapping shifts all count; a
roster with nobody on shift resolves to no receiver (the caller says so in the log and
the notification history: a hole in the roster is visible, not silent).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from alerts.notify.config import Roster, Shift

__all__ = ["on_call"]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _covers(shift: Shift, local: dt.datetime) -> bool:
    start, end = _minutes(shift.start), _minutes(shift.end)
    now = local.hour * 60 + local.minute
    today = local.weekday()
    if start < end:
        return today in shift.weekdays and start <= now < end
    # past midnight: the evening part today, or the morning part of yesterday's shift
    yesterday = (today - 1) % 7
    return (today in shift.weekdays and now >= start) or (yesterday in shift.weekdays and now < end)


def on_call(roster: Roster, wall_ms: int) -> tuple[str, ...]:
    """The receivers of every shift of ``roster`` covering ``wall_ms`` (in file order,
    each once)."""
    local = dt.datetime.fromtimestamp(wall_ms / 1000, tz=ZoneInfo(roster.tz))
    names: list[str] = []
    for shift in roster.shifts:
        if _covers(shift, local):
            names += [n for n in shift.notify if n not in names]
    return tuple(names)
