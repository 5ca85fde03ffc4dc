"""An alert as the contract's outbound :class:`AlertEvent` (times in RFC 3339)."""

from __future__ import annotations

from lifeline.core.alert import Alert
from lifeline.core.payloads import AlertEvent
from lifeline.core.timeutil import iso_ms

__all__ = ["alert_event"]


def alert_event(alert: Alert) -> AlertEvent:
    return AlertEvent(
        id=alert.id,
        source_id=alert.source_id,
        source_kind=alert.source_kind.value,
        rule=alert.rule,
        severity=alert.severity.value,
        state=alert.state.value,
        message=alert.message,
        value=alert.value,
        threshold=alert.threshold,
        raised_at=iso_ms(alert.raised_at_ms),
        updated_at=iso_ms(alert.updated_at_ms),
        acked_by=alert.acked_by,
        note=alert.note,
    )
