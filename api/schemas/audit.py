"""The merged audit trail: the general audit log plus every alert transition."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import OutModel
from lifeline.core.alert import AlertState, AuditEntry
from lifeline.core.identity import AuditRecord

__all__ = ["ALERT_TRANSITION", "AuditItemOut", "AuditPage"]

ALERT_TRANSITION = "alert_transition"


class AuditItemOut(OutModel):
    at: str
    at_ms: int
    actor: str
    kind: str = Field(
        description="login, logout, user, api_key, registry, rule, "
        "alert_action (the request, with client IP) or alert_transition"
    )
    action: str
    outcome: str
    target: str | None
    client_ip: str | None
    detail: str | None
    alert_id: int | None = None
    from_state: AlertState | None = None
    to_state: AlertState | None = None

    @classmethod
    def of_record(cls, r: AuditRecord) -> AuditItemOut:
        return cls.fill(r)

    @classmethod
    def of_transition(cls, e: AuditEntry) -> AuditItemOut:
        return cls.fill(
            e,
            kind=ALERT_TRANSITION,
            outcome="ok",
            target=f"alert/{e.alert_id}",
            client_ip=None,
            detail=e.note if e.cause is None else f"cause={e.cause}; {e.note or ''}".rstrip("; "),
        )


class AuditPage(BaseModel):
    """Newest first; ``truncated`` when more entries matched than ``limit``."""

    items: list[AuditItemOut]
    truncated: bool
