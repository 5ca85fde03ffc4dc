"""Building a report from the stores: alerts raised in the period (and those raised up
to 90 days before, for stale alarms), the audit entries of the period, presence slots
and registration (or first-seen) times; then the pure parts compute."""

from __future__ import annotations

import asyncio
from typing import Final

from api.kpis import HOUR_MS, shift_kpis
from api.reports import alarms
from api.reports.model import OnlineRow, Report, Summary
from api.reports.online import counted_span, online_row, overall_rate
from api.reports.period import ReportPeriod
from lifeline.core.alert import Alert
from lifeline.core.ports import AlertStore, TelemetryStore
from lifeline.core.registry import Registry

__all__ = ["STALE_LOOKBACK_MS", "build_report"]

STALE_LOOKBACK_MS: Final = 90 * 24 * HOUR_MS


async def _online(
    registry: Registry, telemetry: TelemetryStore, period: ReportPeriod, now_ms: int
) -> tuple[list[OnlineRow], list[OnlineRow]]:
    enterprises = sorted(registry.enterprises.values(), key=lambda e: e.id)
    channels = sorted(registry.channels.values(), key=lambda c: c.id)
    ids = [e.id for e in enterprises] + [c.id for c in channels]
    unregistered = [e.id for e in enterprises if e.registered_at_ms is None] + [
        c.id for c in channels if c.registered_at_ms is None
    ]  # seeded demo data: counted from its first record
    end = min(period.end_ms, now_ms)
    present, first = await asyncio.gather(
        telemetry.coverage(ids, period.start_ms, max(period.start_ms, end)),
        telemetry.first_seen(unregistered),
    )

    def span(source_id: str, registered: int | None) -> tuple[int | None, int]:
        since = registered if registered is not None else first.get(source_id)
        return counted_span(period.start_ms, period.end_ms, now_ms, since)

    return (
        [
            online_row(e.id, e.name, e.district, e.owner, span(e.id, e.registered_at_ms),
                       present.get(e.id, 0))
            for e in enterprises
        ],
        [
            online_row(c.id, c.name, c.district, c.owner, span(c.id, c.registered_at_ms),
                       present.get(c.id, 0))
            for c in channels
        ],
    )  # fmt: skip


async def _known(store: AlertStore, alerts: dict[int, Alert], ids: set[int]) -> None:
    missing = ids - alerts.keys()
    for alert in await asyncio.gather(*(store.get(i) for i in missing)):
        if alert is not None:
            alerts[alert.id] = alert


async def build_report(
    period: ReportPeriod,
    registry: Registry,
    telemetry: TelemetryStore,
    store: AlertStore,
    now_ms: int,
    operators: int = 1,
) -> Report:
    end = min(period.end_ms, max(now_ms, period.start_ms))
    raised_before, entries, (enterprises, channels) = await asyncio.gather(
        store.raised_between(period.start_ms - STALE_LOOKBACK_MS, period.end_ms),
        store.audit_between(period.start_ms, period.end_ms),
        _online(registry, telemetry, period, now_ms),
    )
    raised = [a for a in raised_before if a.raised_at_ms >= period.start_ms]
    known = {a.id: a for a in raised_before}
    await _known(store, known, {e.alert_id for e in entries})
    hours = max(1, end - period.start_ms) / HOUR_MS
    kpis = shift_kpis(entries, known, [], end, hours)
    avg, busiest = alarms.per_operator(entries, period.start_ms, end, operators)
    stale = alarms.stale_at(raised_before, end)
    to_ack, to_resolve = (
        alarms.handling(raised, "acked_at_ms"),
        alarms.handling(raised, "closed_at_ms"),
    )
    summary = Summary(
        enterprises=len(enterprises),
        enterprise_online_rate=overall_rate(enterprises),
        channels=len(channels),
        channel_online_rate=overall_rate(channels),
        alarms=len(raised),
        suppressed=alarms.suppressed(entries),
        acked=to_ack.count,
        closed=to_resolve.count,
        time_to_ack=to_ack,
        time_to_resolve=to_resolve,
        annunciations=kpis.annunciations,
        operators=operators,
        per_operator_per_10min_avg=avg,
        per_operator_per_10min_max=busiest,
        floods=len(kpis.floods),
        flood_ms=kpis.flood_ms,
        chattering=len(kpis.chattering),
        stale=len(stale),
    )
    return Report(
        kind=period.kind,
        label=period.label,
        start_ms=period.start_ms,
        end_ms=period.end_ms,
        generated_at_ms=now_ms,
        summary=summary,
        enterprises=enterprises,
        channels=channels,
        buckets=alarms.bucket_rows(period.buckets, raised, entries),
        by_severity=alarms.tally(raised, "severity"),
        by_rule=alarms.tally(raised, "rule"),
        by_district=alarms.tally(raised, "district"),
        floods=kpis.floods,
        chattering=kpis.chattering,
        stale=stale,
        top_sources=kpis.top_sources,
    )
