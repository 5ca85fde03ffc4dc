"""Alerts as the API shows them, their audit trail, and operator action bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import iso_or_none
from lifeline.core.alert import (
    Alert,
    AlertCategory,
    AlertState,
    AuditEntry,
    ResolutionCause,
    Severity,
)
from lifeline.core.ids import SourceKind
from lifeline.core.timeutil import iso_ms

__all__ = [
    "ActionBody",
    "AlertDetail",
    "AlertOut",
    "AssignBody",
    "AuditOut",
    "CloseBody",
    "ShelveBody",
]

DEFAULT_ACTOR = "operator"


class AlertOut(BaseModel):
    id: int
    source_id: str
    source_kind: SourceKind
    rule: str
    severity: Severity
    state: AlertState
    category: AlertCategory
    condition_active: bool
    message: str
    value: float | None
    threshold: float | None
    count: int
    raised_at: str
    raised_at_ms: int
    updated_at: str
    updated_at_ms: int
    acked_by: str | None
    acked_at: str | None
    acked_at_ms: int | None
    note: str | None
    shelved_until: str | None
    shelved_until_ms: int | None
    cleared_at: str | None
    cleared_at_ms: int | None
    closed_at: str | None
    closed_at_ms: int | None
    assigned_to: str | None
    district: str | None
    enterprise_id: str | None
    utility_id: str | None
    cause: str | None = Field(description="resolution cause given at close, if any")

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls(
            id=alert.id,
            source_id=alert.source_id,
            source_kind=alert.source_kind,
            rule=alert.rule,
            severity=alert.severity,
            state=alert.state,
            category=alert.category,
            condition_active=alert.condition_active,
            message=alert.message,
            value=alert.value,
            threshold=alert.threshold,
            count=alert.count,
            raised_at=iso_ms(alert.raised_at_ms),
            raised_at_ms=alert.raised_at_ms,
            updated_at=iso_ms(alert.updated_at_ms),
            updated_at_ms=alert.updated_at_ms,
            acked_by=alert.acked_by,
            acked_at=iso_or_none(alert.acked_at_ms),
            acked_at_ms=alert.acked_at_ms,
            note=alert.note,
            shelved_until=iso_or_none(alert.shelved_until_ms),
            shelved_until_ms=alert.shelved_until_ms,
            cleared_at=iso_or_none(alert.cleared_at_ms),
            cleared_at_ms=alert.cleared_at_ms,
            closed_at=iso_or_none(alert.closed_at_ms),
            closed_at_ms=alert.closed_at_ms,
            assigned_to=alert.assigned_to,
            district=alert.district,
            enterprise_id=alert.enterprise_id,
            utility_id=alert.utility_id,
            cause=alert.cause,
        )


class AuditOut(BaseModel):
    id: int
    at: str
    at_ms: int
    actor: str
    action: str
    from_state: AlertState | None
    to_state: AlertState
    note: str | None
    cause: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(
            id=entry.id,
            at=iso_ms(entry.at_ms),
            at_ms=entry.at_ms,
            actor=entry.actor,
            action=entry.action,
            from_state=entry.from_state,
            to_state=entry.to_state,
            note=entry.note,
            cause=entry.cause,
        )


class AlertDetail(AlertOut):
    """An alert with its audit trail, oldest entry first."""

    audit: list[AuditOut]


class ActionBody(BaseModel):
    """Why (``note``). The actor is the authenticated account; ``actor`` is accepted
    for compatibility with clients written before authentication, and ignored."""

    model_config = ConfigDict(extra="forbid")

    actor: str = Field(
        default=DEFAULT_ACTOR,
        min_length=1,
        max_length=64,
        description="ignored: the actor is the authenticated account",
        deprecated=True,
    )
    note: str | None = Field(default=None, max_length=1000)


class ShelveBody(ActionBody):
    minutes: int = Field(ge=1, le=1440, description="shelve for this long (1 min .. 24 h)")


class CloseBody(ActionBody):
    cause: ResolutionCause | None = Field(
        default=None, description="what was found: real_leak, false_alarm, sensor_fault ..."
    )


class AssignBody(ActionBody):
    assignee: str = Field(min_length=1, max_length=64, description="crew or person assigned")
