"""A source's displayed state from its alerts."""

from __future__ import annotations

import msgspec

from alerts.source_state import source_state
from lifeline.core.alert import Alert, AlertCategory, AlertState, Severity
from lifeline.core.ids import SourceKind

BASE = Alert(
    source_id="GAS-0001",
    source_kind=SourceKind.GAS_CHANNEL,
    rule="r",
    severity=Severity.MINOR,
    state=AlertState.ACTIVE_UNACKED,
    message="",
    raised_at_ms=0,
    updated_at_ms=0,
)


def alert(category: AlertCategory, **changes: object) -> Alert:
    return msgspec.structs.replace(BASE, category=category, **changes)


def test_alarm_beats_fault_beats_offline() -> None:
    offline = alert(AlertCategory.OFFLINE)
    fault = alert(AlertCategory.FAULT)
    alarm = alert(AlertCategory.ALARM)
    assert source_state([]) == "normal"
    assert source_state([offline]) == "offline"
    assert source_state([offline, fault]) == "fault"
    assert source_state([fault, alarm, offline]) == "alarm"


def test_cleared_closed_and_info_alerts_leave_the_source_normal() -> None:
    cleared = alert(AlertCategory.ALARM, state=AlertState.CLEARED_UNACKED, condition_active=False)
    closed = alert(AlertCategory.ALARM, state=AlertState.CLOSED)
    info = alert(AlertCategory.INFO)
    assert source_state([cleared, closed, info]) == "normal"
