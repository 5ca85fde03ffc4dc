"""Alerts as the API shows them, their audit trail, and operator action bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import OutModel
from lifeline.core.alert import (
    Alert,
    AlertCategory,
    AlertState,
    AuditEntry,
    ResolutionCause,
    Severity,
)
from lifeline.core.ids import SourceKind

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


class AlertOut(OutModel):
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
        return cls.fill(alert)


class AuditOut(OutModel):
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
        return cls.fill(entry)


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
