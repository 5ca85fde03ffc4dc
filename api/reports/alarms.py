"""Alarm counts, handling times and ISA-18.2 KPIs of a report. Pure.

- *alarms*: alerts raised in the period (``raised_at_ms`` in it), by severity, rule and
  district, per bucket; *suppressed*: those raised out of service (maintenance).
- *time to ack*: ``acked_at_ms - raised_at_ms`` of the period's alarms that were
  acknowledged; *time to resolve*: ``closed_at_ms - raised_at_ms`` of those closed.
- *annunciations* (raise and reactivate audit entries, as the shift KPIs count them)
  per operator per 10 minutes: the period's average and the busiest fixed 10-min window,
  divided by the operators on duty (a report parameter).
- *stale*: alarms whose condition was still active at the period's end, raised more
  than 24 h before it (``api.kpis.STALE_MS``).
Floods, chattering and the noisiest sources come from :func:`api.kpis.shift_kpis` over
the whole period.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

from api.kpis import ANNUNCIATIONS, STALE_MS
from api.reports.model import BucketRow, HandlingTimes, StaleRow
from api.reports.period import Bucket
from lifeline.core.alert import Alert, AlertState, AuditEntry

__all__ = [
    "TEN_MIN_MS",
    "bucket_rows",
    "handling",
    "per_operator",
    "stale_at",
    "suppressed",
    "tally",
]

TEN_MIN_MS: Final = 600_000


def _delays(alerts: Iterable[Alert], attr: str) -> list[int]:
    out = []
    for alert in alerts:
        at = getattr(alert, attr)
        if at is not None and at >= alert.raised_at_ms:
            out.append(at - alert.raised_at_ms)
    return out


def handling(alerts: Sequence[Alert], attr: str) -> HandlingTimes:
    """Times from raise to ``attr`` (``acked_at_ms`` or ``closed_at_ms``)."""
    delays = sorted(_delays(alerts, attr))
    if not delays:
        return HandlingTimes(0, None, None, None)
    p90 = delays[min(len(delays) - 1, max(0, -(-len(delays) * 9 // 10) - 1))]
    return HandlingTimes(
        len(delays), round(statistics.fmean(delays)), round(statistics.median(delays)), p90
    )


def tally(alerts: Iterable[Alert], attr: str) -> dict[str, int]:
    counts = Counter(str(getattr(a, attr) or "—") for a in alerts)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def suppressed(entries: Iterable[AuditEntry]) -> int:
    return sum(
        1 for e in entries if e.action == "raise" and e.to_state is AlertState.OUT_OF_SERVICE
    )


def _annunciation_times(entries: Iterable[AuditEntry]) -> list[int]:
    return [e.at_ms for e in entries if e.action in ANNUNCIATIONS]


def bucket_rows(
    buckets: Sequence[Bucket], alerts: Sequence[Alert], entries: Sequence[AuditEntry]
) -> list[BucketRow]:
    times = _annunciation_times(entries)
    rows = []
    for bucket in buckets:
        mine = [a for a in alerts if bucket.start_ms <= a.raised_at_ms < bucket.end_ms]
        acked, closed = handling(mine, "acked_at_ms"), handling(mine, "closed_at_ms")
        rows.append(
            BucketRow(
                bucket.label,
                bucket.start_ms,
                len(mine),
                sum(1 for t in times if bucket.start_ms <= t < bucket.end_ms),
                acked.count,
                acked.mean_ms,
                closed.count,
                closed.mean_ms,
            )
        )
    return rows


def per_operator(
    entries: Sequence[AuditEntry], start_ms: int, end_ms: int, operators: int
) -> tuple[float, int]:
    """(average, busiest fixed 10-min window) of annunciations per operator."""
    times = _annunciation_times(entries)
    windows = max(1, -(-(end_ms - start_ms) // TEN_MIN_MS))
    busiest = Counter((t - start_ms) // TEN_MIN_MS for t in times)
    most = max(busiest.values(), default=0)
    return round(len(times) / windows / operators, 3), -(-most // operators)


def stale_at(alerts: Iterable[Alert], end_ms: int) -> list[StaleRow]:
    """Alarms active at ``end_ms`` for more than 24 h (condition not cleared, not
    closed by then)."""
    rows = [
        StaleRow(
            a.id, a.source_id, a.rule, a.severity.value, a.raised_at_ms, end_ms - a.raised_at_ms
        )
        for a in alerts
        if end_ms - a.raised_at_ms > STALE_MS
        and (a.cleared_at_ms is None or a.cleared_at_ms > end_ms)
        and (a.closed_at_ms is None or a.closed_at_ms > end_ms)
    ]
    return sorted(rows, key=lambda r: (-r.active_ms, r.id))
