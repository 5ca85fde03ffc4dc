"""Alarm-system KPIs of a shift (ISA-18.2 / EEMUA 191), computed from alerts and their
audit trail. Pure: :func:`shift_kpis` takes values and returns values.

What is counted, over ``[now - hours, now]``:

- *annunciations*: audit entries ``raise`` and ``reactivate`` (an alert the operator
  has to look at again); per hour, per severity, and per hour bucket for a chart.
- *floods*: the periods in which more than ``FLOOD_COUNT`` (10) annunciations fall in
  any ``FLOOD_WINDOW_MS`` (10 min) sliding window; each with start, end and peak.
- *chattering*: a source + rule with at least ``CHATTER_COUNT`` (3) condition
  transitions (raise, clear, reactivate) within any ``CHATTER_WINDOW_MS`` (1 min).
- *stale*: open alerts whose condition has been active for more than ``STALE_MS``
  (24 h) — measured from ``raised_at_ms`` to ``now_ms``, whatever the window.
- *top sources*: the 10 sources with the most annunciations, with their share.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import msgspec

from lifeline.core.alert import Alert, AuditEntry, Severity

__all__ = [
    "CHATTER_COUNT",
    "CHATTER_WINDOW_MS",
    "FLOOD_COUNT",
    "FLOOD_WINDOW_MS",
    "STALE_MS",
    "Chatter",
    "Flood",
    "NoisySource",
    "ShiftKpis",
    "StaleAlert",
    "shift_kpis",
]

HOUR_MS: Final = 3_600_000
FLOOD_COUNT: Final = 10
FLOOD_WINDOW_MS: Final = 10 * 60_000
CHATTER_COUNT: Final = 3
CHATTER_WINDOW_MS: Final = 60_000
STALE_MS: Final = 24 * HOUR_MS
TOP_N: Final = 10

ANNUNCIATIONS: Final = frozenset({"raise", "reactivate"})
CONDITION_TRANSITIONS: Final = frozenset({"raise", "clear", "reactivate"})


class Flood(msgspec.Struct, frozen=True):
    """A period with more than FLOOD_COUNT annunciations in a 10-min window."""

    start_ms: int
    end_ms: int
    peak: int  # most annunciations in one 10-min window during the flood


class Chatter(msgspec.Struct, frozen=True):
    source_id: str
    rule: str
    max_per_minute: int
    transitions: int


class StaleAlert(msgspec.Struct, frozen=True):
    id: int
    source_id: str
    rule: str
    severity: Severity
    active_ms: int


class NoisySource(msgspec.Struct, frozen=True):
    source_id: str
    source_kind: str
    count: int
    share: float


class ShiftKpis(msgspec.Struct, frozen=True):
    start_ms: int
    end_ms: int
    hours: float
    annunciations: int
    per_hour: float
    by_severity: dict[str, int]
    hourly: list[int]  # annunciations per hour bucket, oldest first
    floods: list[Flood]
    flood_ms: int  # time spent in flood
    chattering: list[Chatter]
    stale: list[StaleAlert]
    top_sources: list[NoisySource]
    acks: int
    mean_ack_ms: int | None  # raise -> ack of alerts acknowledged in the window


def shift_kpis(
    audit: Iterable[AuditEntry],
    alerts: Mapping[int, Alert],
    open_alerts: Sequence[Alert],
    now_ms: int,
    hours: float,
) -> ShiftKpis:
    """KPIs of ``[now_ms - hours, now_ms]``.

    ``audit`` may hold any entries (those outside the window are ignored); ``alerts``
    maps alert ids to alerts for every entry of the window (entries of unknown alerts
    count in totals but name no source).
    """
    start = now_ms - int(hours * HOUR_MS)
    entries = sorted(
        (e for e in audit if start <= e.at_ms <= now_ms), key=lambda e: (e.at_ms, e.id)
    )
    raised = [e for e in entries if e.action in ANNUNCIATIONS]
    times = [e.at_ms for e in raised]
    floods = _floods(times)
    by_severity: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    for entry in raised:
        alert = alerts.get(entry.alert_id)
        if alert is None:
            continue
        by_severity[alert.severity.value] += 1
        by_source[alert.source_id] += 1
        kinds[alert.source_id] = alert.source_kind.value
    buckets = max(1, int(-(-(now_ms - start) // HOUR_MS)))
    hourly = [0] * buckets
    for at in times:
        hourly[min(buckets - 1, (at - start) // HOUR_MS)] += 1
    total = len(raised)
    acks = [e for e in entries if e.action == "ack"]
    ack_delays = [
        e.at_ms - alerts[e.alert_id].raised_at_ms
        for e in acks
        if e.alert_id in alerts and e.at_ms >= alerts[e.alert_id].raised_at_ms
    ]
    return ShiftKpis(
        start_ms=start,
        end_ms=now_ms,
        hours=hours,
        annunciations=total,
        per_hour=round(total / hours, 2) if hours > 0 else 0.0,
        by_severity={s.value: by_severity[s.value] for s in Severity},
        hourly=hourly,
        floods=floods,
        flood_ms=sum(f.end_ms - f.start_ms for f in floods),
        chattering=_chattering(entries, alerts),
        stale=_stale(open_alerts, now_ms),
        top_sources=[
            NoisySource(source, kinds[source], count, round(count / total, 4))
            for source, count in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
        ],
        acks=len(acks),
        mean_ack_ms=sum(ack_delays) // len(ack_delays) if ack_delays else None,
    )


def _floods(times: Sequence[int]) -> list[Flood]:
    """Sweep of the sliding-window count: +1 at each annunciation, -1 when it leaves the
    window; a flood lasts while the count exceeds FLOOD_COUNT."""
    changes = sorted([(t, 1) for t in times] + [(t + FLOOD_WINDOW_MS, -1) for t in times])
    floods: list[Flood] = []
    count = peak = 0
    began: int | None = None
    for at, delta in changes:  # at equal times -1 sorts first: the window is half-open
        count += delta
        if began is None and count > FLOOD_COUNT:
            began, peak = at, count
        elif began is not None:
            peak = max(peak, count)
            if count <= FLOOD_COUNT:
                floods.append(Flood(began, at, peak))
                began = None
    return floods


def _chattering(entries: Sequence[AuditEntry], alerts: Mapping[int, Alert]) -> list[Chatter]:
    series: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    for entry in entries:
        alert = alerts.get(entry.alert_id)
        if alert is not None and entry.action in CONDITION_TRANSITIONS:
            series[(alert.source_id, alert.rule)].append(entry.at_ms)
    found: list[Chatter] = []
    for (source, rule), times in series.items():
        most = _max_in_window(times, CHATTER_WINDOW_MS)
        if most >= CHATTER_COUNT:
            found.append(Chatter(source, rule, most, len(times)))
    return sorted(found, key=lambda c: (-c.max_per_minute, -c.transitions, c.source_id))


def _max_in_window(times: Sequence[int], window_ms: int) -> int:
    """Most times within any half-open window of ``window_ms``; ``times`` sorted."""
    inside: deque[int] = deque()
    most = 0
    for at in times:
        inside.append(at)
        while inside[0] <= at - window_ms:
            inside.popleft()
        most = max(most, len(inside))
    return most


def _stale(open_alerts: Sequence[Alert], now_ms: int) -> list[StaleAlert]:
    stale = [
        StaleAlert(a.id, a.source_id, a.rule, a.severity, now_ms - a.raised_at_ms)
        for a in open_alerts
        if a.condition_active and now_ms - a.raised_at_ms > STALE_MS
    ]
    return sorted(stale, key=lambda s: (-s.active_ms, s.id))
