"""Alarm-system KPIs (api.kpis.shift_kpis): floods, chattering, stale, top sources."""

from __future__ import annotations

from api.kpis import HOUR_MS, shift_kpis
from lifeline.core.alert import Alert, AlertState, AuditEntry, Severity
from lifeline.core.ids import SourceKind

NOW = 100 * HOUR_MS
MIN = 60_000


def _alert(
    alert_id: int,
    source: str,
    raised_ms: int,
    *,
    rule: str = "gas_leak",
    severity: Severity = Severity.MAJOR,
    active: bool = True,
) -> Alert:
    return Alert(
        source,
        SourceKind.GAS_CHANNEL,
        rule,
        severity,
        AlertState.ACTIVE_UNACKED,
        "m",
        raised_ms,
        raised_ms,
        condition_active=active,
        id=alert_id,
    )


def _entry(alert_id: int, at_ms: int, action: str, entry_id: int = 0) -> AuditEntry:
    return AuditEntry(
        alert_id, at_ms, "system", action, None, AlertState.ACTIVE_UNACKED, id=entry_id
    )


def test_eleven_raises_in_ten_minutes_are_one_flood_and_ten_are_none() -> None:
    start = NOW - 2 * HOUR_MS
    alerts = {i: _alert(i, f"GAS-{i:04d}", start + i * 50_000) for i in range(1, 12)}
    audit = [_entry(i, a.raised_at_ms, "raise", i) for i, a in alerts.items()]
    flood = shift_kpis(audit, alerts, [], NOW, 8)
    assert len(flood.floods) == 1
    assert flood.floods[0].start_ms == alerts[11].raised_at_ms
    assert flood.floods[0].peak == 11
    assert flood.floods[0].end_ms == alerts[1].raised_at_ms + 10 * MIN
    assert flood.flood_ms == flood.floods[0].end_ms - flood.floods[0].start_ms
    assert shift_kpis(audit[:10], alerts, [], NOW, 8).floods == []
    assert flood.annunciations == 11
    assert flood.per_hour == round(11 / 8, 2)
    assert sum(flood.hourly) == 11
    assert len(flood.hourly) == 8


def test_three_transitions_within_a_minute_is_chattering_but_spread_out_is_not() -> None:
    t0 = NOW - HOUR_MS
    alerts = {1: _alert(1, "GAS-0001", t0), 2: _alert(2, "GAS-0002", t0)}
    audit = [
        _entry(1, t0, "raise", 1),
        _entry(1, t0 + 20_000, "clear", 2),
        _entry(1, t0 + 50_000, "reactivate", 3),
        _entry(2, t0, "raise", 4),
        _entry(2, t0 + 40_000, "clear", 5),
        _entry(2, t0 + 60_000, "reactivate", 6),  # 60 s after the raise: out of the window
    ]
    kpis = shift_kpis(audit, alerts, [], NOW, 8)
    assert [(c.source_id, c.max_per_minute) for c in kpis.chattering] == [("GAS-0001", 3)]


def test_stale_means_condition_active_for_more_than_24_hours() -> None:
    old = _alert(1, "GAS-0001", NOW - 25 * HOUR_MS)
    cleared_old = _alert(2, "GAS-0002", NOW - 30 * HOUR_MS, active=False)
    young = _alert(3, "GAS-0003", NOW - 23 * HOUR_MS)
    kpis = shift_kpis([], {}, [old, cleared_old, young], NOW, 8)
    assert [(s.id, s.active_ms) for s in kpis.stale] == [(1, 25 * HOUR_MS)]


def test_top_sources_rank_by_annunciations_in_the_window_only() -> None:
    t0 = NOW - HOUR_MS
    alerts = {
        1: _alert(1, "GAS-0001", t0),
        2: _alert(2, "GAS-0002", t0, severity=Severity.CRITICAL),
    }
    audit = [
        _entry(1, t0, "raise", 1),
        _entry(1, t0 + 5 * MIN, "reactivate", 2),
        _entry(1, t0 + 6 * MIN, "ack", 3),
        _entry(2, t0, "raise", 4),
        _entry(2, NOW - 9 * HOUR_MS, "reactivate", 5),  # before the 8 h window
    ]
    kpis = shift_kpis(audit, alerts, [], NOW, 8)
    assert [(n.source_id, n.count) for n in kpis.top_sources] == [("GAS-0001", 2), ("GAS-0002", 1)]
    assert kpis.top_sources[0].share == round(2 / 3, 4)
    assert kpis.by_severity == {"critical": 1, "major": 2, "minor": 0, "warning": 0}
    assert kpis.acks == 1
    assert kpis.mean_ack_ms == 6 * MIN
