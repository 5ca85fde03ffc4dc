"""``/api/v1/audit``: the audit trail, read-only (admin).

Merges the general audit log (logins, accounts, API keys, registry edits, alert action
requests with their client IP) with every alert transition (``alert_transition``,
from the alert store's own append-only trail), newest first. There is no route that
changes or deletes either; both tables refuse UPDATE and DELETE in SQLite itself.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Final

from fastapi import APIRouter, HTTPException, Query

from api.deps import MAX_LIMIT, AlertStoreDep, AuthStoreDep
from api.routes import API_PREFIX
from api.schemas.audit import ALERT_TRANSITION, AuditItemOut, AuditPage
from api.timeparse import parse_instant
from lifeline.core.identity import AuditQuery

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/audit", tags=["admin"])

TRANSITIONS_SCANNED: Final = 10_000


def _instant(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None


@router.get("", summary="Audit trail, newest first (alert transitions merged in)")
async def get_audit(
    auth: AuthStoreDep,
    alerts: AlertStoreDep,
    kind: Annotated[
        str | None, Query(max_length=64, description="e.g. login, alert_transition")
    ] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(description="RFC 3339 with offset, or epoch ms")] = None,
    until: Annotated[str | None, Query(description="RFC 3339 with offset, or epoch ms")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> AuditPage:
    """Alert transitions are searched among the newest 10,000."""
    since_ms, until_ms = _instant(since), _instant(until)
    want_log = kind != ALERT_TRANSITION
    want_alerts = kind is None or kind == ALERT_TRANSITION
    query = AuditQuery(
        kind=kind, actor=actor, since_ms=since_ms, until_ms=until_ms, limit=limit + 1
    )
    log_entries, transitions = await asyncio.gather(
        auth.audit(query) if want_log else asyncio.sleep(0, []),
        alerts.audit(None, TRANSITIONS_SCANNED) if want_alerts else asyncio.sleep(0, []),
    )
    items = [AuditItemOut.of_record(r) for r in log_entries]
    items += [
        AuditItemOut.of_transition(e)
        for e in transitions
        if (actor is None or e.actor == actor)
        and (since_ms is None or e.at_ms >= since_ms)
        and (until_ms is None or e.at_ms <= until_ms)
    ]
    items.sort(key=lambda i: i.at_ms, reverse=True)
    return AuditPage(items=items[:limit], truncated=len(items) > limit)
