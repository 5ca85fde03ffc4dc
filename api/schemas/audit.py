"""The merged audit trail: the general audit log plus every alert transition."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lifeline.core.alert import AlertState, AuditEntry
from lifeline.core.identity import AuditRecord
from lifeline.core.timeutil import iso_ms

__all__ = ["ALERT_TRANSITION", "AuditItemOut", "AuditPage"]

ALERT_TRANSITION = "alert_transition"


class AuditItemOut(BaseModel):
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
        return cls(
            at=iso_ms(r.at_ms),
            at_ms=r.at_ms,
            actor=r.actor,
            kind=r.kind,
            action=r.action,
            outcome=r.outcome,
            target=r.target,
            client_ip=r.client_ip,
            detail=r.detail,
        )

    @classmethod
    def of_transition(cls, e: AuditEntry) -> AuditItemOut:
        return cls(
            at=iso_ms(e.at_ms),
            at_ms=e.at_ms,
            actor=e.actor,
            kind=ALERT_TRANSITION,
            action=e.action,
            outcome="ok",
            target=f"alert/{e.alert_id}",
            client_ip=None,
            detail=e.note if e.cause is None else f"cause={e.cause}; {e.note or ''}".rstrip("; "),
            alert_id=e.alert_id,
            from_state=e.from_state,
            to_state=e.to_state,
        )


class AuditPage(BaseModel):
    """Newest first; ``truncated`` when more entries matched than ``limit``."""

    items: list[AuditItemOut]
    truncated: bool
