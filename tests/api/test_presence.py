"""api.presence: alerts first, then silence makes a source offline (and not on line)."""

from __future__ import annotations

import msgspec

from api.presence import OFFLINE_AFTER_MS, displayed_state, is_online
from lifeline.core.alert import Alert, AlertCategory, AlertState, Severity
from lifeline.core.ids import SourceKind
from tests.api.factories import NOW_MS


def _alert(category: AlertCategory, **changes: object) -> Alert:
    alert = Alert(
        source_id="GAS-0001",
        source_kind=SourceKind.GAS_CHANNEL,
        rule=f"r-{category}",
        severity=Severity.MAJOR,
        state=AlertState.ACTIVE_UNACKED,
        message="m",
        raised_at_ms=NOW_MS,
        updated_at_ms=NOW_MS,
        category=category,
    )
    return msgspec.structs.replace(alert, **changes)


def test_recently_seen_source_without_alerts_is_normal() -> None:
    assert displayed_state([], NOW_MS - OFFLINE_AFTER_MS, NOW_MS) == "normal"


def test_never_seen_or_silent_too_long_is_offline() -> None:
    assert displayed_state([], None, NOW_MS) == "offline"
    assert displayed_state([], NOW_MS - OFFLINE_AFTER_MS - 1, NOW_MS) == "offline"


def test_alarm_and_fault_outrank_silence_but_info_does_not() -> None:
    silent = NOW_MS - 2 * OFFLINE_AFTER_MS
    assert displayed_state([_alert(AlertCategory.ALARM)], silent, NOW_MS) == "alarm"
    assert displayed_state([_alert(AlertCategory.FAULT)], silent, NOW_MS) == "fault"
    assert displayed_state([_alert(AlertCategory.INFO)], silent, NOW_MS) == "offline"


def test_closed_or_cleared_alerts_do_not_count() -> None:
    closed = _alert(AlertCategory.ALARM, state=AlertState.CLOSED)
    cleared = _alert(AlertCategory.ALARM, state=AlertState.CLEARED_UNACKED, condition_active=False)
    assert displayed_state([closed, cleared], NOW_MS, NOW_MS) == "normal"


def test_offline_alert_shows_offline_even_when_data_is_fresh() -> None:
    assert displayed_state([_alert(AlertCategory.OFFLINE)], NOW_MS, NOW_MS) == "offline"


def test_on_line_is_the_opposite_of_silent_at_the_same_15_minutes() -> None:
    assert is_online(NOW_MS - OFFLINE_AFTER_MS, NOW_MS)
    assert not is_online(NOW_MS - OFFLINE_AFTER_MS - 1, NOW_MS)
    assert not is_online(None, NOW_MS)
