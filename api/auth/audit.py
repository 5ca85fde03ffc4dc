"""Writing the audit log from a request: who (the account, or the user name tried),
when (wall clock), from where (client IP), what, and how it ended."""

from __future__ import annotations

import logging

from fastapi import Request

from api.auth.guard import client_ip
from api.deps import get_deps
from lifeline.core.identity import AuditRecord

__all__ = ["record"]

log = logging.getLogger(__name__)


async def record(
    request: Request,
    actor: str,
    kind: str,
    action: str,
    *,
    outcome: str = "ok",
    target: str | None = None,
    detail: str | None = None,
) -> None:
    deps = get_deps(request)
    if deps.auth is None:  # pragma: no cover - create_app refuses to build without one
        return
    entry = AuditRecord(
        at_ms=deps.auth_options.now_ms(),
        actor=actor,
        kind=kind,
        action=action,
        outcome=outcome,
        target=target,
        client_ip=client_ip(request),
        detail=detail,
    )
    await deps.auth.append_audit(entry)
    log.info(
        "api_audit",
        extra={
            "actor": actor,
            "kind": kind,
            "action": action,
            "outcome": outcome,
            "target": target,
        },
    )
