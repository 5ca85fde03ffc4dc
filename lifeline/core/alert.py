"""Alerts: severities, lifecycle states, the alert value and its audit entries.

States follow ISA-18.2 (see docs/alerts.md)::

    active_unacked ──ack──▶ active_acked
         │ clear                 │ clear
         ▼                       ▼
    cleared_unacked ──ack──▶  closed
    shelved        (time-limited, any open state; returns when unshelved/expired)
    out_of_service (removed from service by an operator until returned)
"""

from __future__ import annotations

import enum
from typing import Final

import msgspec

from lifeline.core.ids import SourceKind

__all__ = [
    "OPEN_STATES",
    "SEVERITY_RANK",
    "Alert",
    "AlertAction",
    "AlertCategory",
    "AlertCommand",
    "AlertQuery",
    "AlertState",
    "AuditEntry",
    "ResolutionCause",
    "Severity",
]


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"


SEVERITY_RANK: Final[dict[Severity, int]] = {
    Severity.CRITICAL: 4,
    Severity.MAJOR: 3,
    Severity.MINOR: 2,
    Severity.WARNING: 1,
}


class AlertState(enum.StrEnum):
    ACTIVE_UNACKED = "active_unacked"
    ACTIVE_ACKED = "active_acked"
    CLEARED_UNACKED = "cleared_unacked"
    CLOSED = "closed"
    SHELVED = "shelved"
    OUT_OF_SERVICE = "out_of_service"


class AlertCategory(enum.StrEnum):
    """What an alert says about its source; drives the source's displayed state."""

    ALARM = "alarm"  # a hazard: leak, burst, under-heating ...
    FAULT = "fault"  # the instrument or its power is faulty
    OFFLINE = "offline"  # no data within the deadman time
    INFO = "info"  # needs attention but is neither (calibration due, low battery)


class AlertAction(enum.StrEnum):
    """Operator and crew actions on an alert (every one is audited)."""

    ACK = "ack"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    CLOSE = "close"
    OUT_OF_SERVICE = "out_of_service"
    RETURN_TO_SERVICE = "return_to_service"
    ASSIGN = "assign"


class AlertCommand(msgspec.Struct, frozen=True):
    """One operator's or crew's action on an alert, as the API received it: what the
    engine applies (``AlertActions.act``) and what crosses to a scaled-out rules worker.
    ``shelve_ms`` goes with SHELVE, ``assignee`` with ASSIGN, ``cause`` (a
    :class:`ResolutionCause` value) with CLOSE only."""

    action: AlertAction
    actor: str
    note: str | None = None
    shelve_ms: int | None = None
    assignee: str | None = None
    cause: str | None = None


class ResolutionCause(enum.StrEnum):
    """Why an alert was closed, as the crew found it on site (given with CLOSE only)."""

    REAL_LEAK = "real_leak"
    FALSE_ALARM = "false_alarm"
    SENSOR_FAULT = "sensor_fault"
    MAINTENANCE = "maintenance"
    OTHER = "other"


OPEN_STATES: Final = frozenset(s for s in AlertState if s is not AlertState.CLOSED)


class Alert(msgspec.Struct, frozen=True):
    """One alert: at most one open (state != closed) per ``(source_id, rule)``.

    ``condition_active`` is what the rule says now; ``state`` is what the operator sees.
    Times are epoch ms: ``raised_at_ms``/``cleared_at_ms`` in event time, operator
    actions in wall time. ``id`` is 0 until a store assigns one.
    """

    source_id: str
    source_kind: SourceKind
    rule: str
    severity: Severity
    state: AlertState
    message: str
    raised_at_ms: int
    updated_at_ms: int
    condition_active: bool = True
    category: AlertCategory = AlertCategory.ALARM
    value: float | None = None
    threshold: float | None = None
    id: int = 0
    count: int = 1
    acked_by: str | None = None
    acked_at_ms: int | None = None
    note: str | None = None
    shelved_until_ms: int | None = None
    cleared_at_ms: int | None = None
    closed_at_ms: int | None = None
    assigned_to: str | None = None
    district: str | None = None
    enterprise_id: str | None = None
    utility_id: str | None = None
    cause: str | None = None  # a ResolutionCause value, set by a CLOSE that gave one


class AuditEntry(msgspec.Struct, frozen=True):
    """One transition of an alert: who did what, when, from which state to which."""

    alert_id: int
    at_ms: int
    actor: str
    action: str
    from_state: AlertState | None
    to_state: AlertState
    note: str | None = None
    id: int = 0
    cause: str | None = None  # the ResolutionCause of a CLOSE that gave one


class AlertQuery(msgspec.Struct, frozen=True):
    """Filters for listing alerts; ``None`` means no filter on that field."""

    states: frozenset[AlertState] | None = None
    severities: frozenset[Severity] | None = None
    source_kind: SourceKind | None = None
    source_id: str | None = None
    rule: str | None = None
    district: str | None = None
    enterprise_id: str | None = None
    utility_id: str | None = None
    assigned_to: str | None = None
    limit: int = 100
    offset: int = 0
