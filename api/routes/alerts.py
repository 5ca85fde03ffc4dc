"""``/api/v1/alerts``: list, detail with audit trail, operator actions, live stream.

Actions (``POST /alerts/{id}/ack`` ...) go to :class:`~lifeline.core.ports.AlertActions`
(the rule engine owns alerts). The actor is the authenticated account; an ``actor`` in
the body is accepted for compatibility and ignored. Every action request, allowed or
not, is in the audit log with the caller's IP; the transition itself is in the alert's
trail. A crew sees and acts on its assigned incidents only, a utility reads its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse

from api.auth.audit import record
from api.auth.guard import PrincipalDep
from api.auth.principal import Principal
from api.auth.scope import check_alert, filtered_feed
from api.deps import AlertStoreDep, Deps, get_deps
from api.listing import ListingDep
from api.routes import API_PREFIX
from api.schemas.alerts import (
    ActionBody,
    AlertDetail,
    AlertOut,
    AssignBody,
    AuditOut,
    CloseBody,
    ShelveBody,
)
from api.schemas.common import Page
from api.sse import sse_frames
from lifeline.core.alert import (
    OPEN_STATES,
    AlertAction,
    AlertCommand,
    AlertQuery,
    AlertState,
    Severity,
)
from lifeline.core.errors import LifelineError, NotFoundError
from lifeline.core.ids import SourceKind

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/alerts", tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, le=2**63 - 1, description="alert id")]
_MS_PER_MINUTE = 60_000


@router.get("", summary="Alerts, newest first")
async def list_alerts(
    alerts: AlertStoreDep,
    listing: ListingDep,
    state: Annotated[list[AlertState] | None, Query(description="repeatable")] = None,
    severity: Annotated[list[Severity] | None, Query(description="repeatable")] = None,
    kind: Annotated[SourceKind | None, Query(description="source kind")] = None,
    district: str | None = None,
    enterprise: Annotated[str | None, Query(description="enterprise id")] = None,
    utility: Annotated[str | None, Query(description="utility id")] = None,
    source_id: str | None = None,
    rule: str | None = None,
    assigned_to: Annotated[str | None, Query(description="crew or person assigned")] = None,
    is_open: Annotated[
        bool | None, Query(alias="open", description="true: any open state; false: closed only")
    ] = None,
) -> Page[AlertOut]:
    scope = listing.scoped(utility, assigned_to)
    if scope is None:
        return Page(items=[], total=0)
    states = frozenset(state) if state else None
    if is_open is not None:
        wanted = OPEN_STATES if is_open else frozenset({AlertState.CLOSED})
        states = wanted if states is None else states & wanted
        if not states:
            return Page(items=[], total=0)
    query = AlertQuery(
        states=states,
        severities=frozenset(severity) if severity else None,
        source_kind=kind,
        source_id=source_id,
        rule=rule,
        district=district,
        enterprise_id=enterprise,
        utility_id=scope.utility,
        assigned_to=scope.crew,
        limit=listing.limit,
        offset=listing.offset,
    )
    found, total = await alerts.query(query)
    return Page(items=[AlertOut.of(a) for a in found], total=total)


@router.get(
    "/stream",
    summary="Live alert state changes as Server-Sent Events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "AlertEvent JSON frames"},
        503: {"description": "no live feed configured in this process"},
    },
)
async def stream_alerts(
    deps: Deps,
    alerts: AlertStoreDep,
    principal: PrincipalDep,
    access_token: Annotated[
        str | None,
        Query(description="the bearer token, for EventSource (which cannot send headers)"),
    ] = None,
) -> StreamingResponse:
    """A crew receives the events of its incidents only, a utility those of its alerts."""
    if deps.live is None:
        raise HTTPException(503, detail="the live alert stream is not configured")
    return StreamingResponse(
        sse_frames(filtered_feed(deps.live(), principal, alerts)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{alert_id}", summary="One alert with its audit trail")
async def get_alert(
    alert_id: AlertId, alerts: AlertStoreDep, principal: PrincipalDep
) -> AlertDetail:
    alert = await alerts.get(alert_id)
    if alert is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    check_alert(principal, alert)
    entries = sorted(await alerts.audit(alert_id), key=lambda e: (e.at_ms, e.id))
    return AlertDetail(**AlertOut.of(alert).model_dump(), audit=[AuditOut.of(e) for e in entries])


@dataclass(frozen=True, slots=True)
class _Acting:
    """The caller about to act on one alert: what every action route shares."""

    alert_id: int
    request: Request
    principal: Principal

    async def act(
        self,
        action: AlertAction,
        body: ActionBody | None,
        shelve_ms: int | None = None,
        assignee: str | None = None,
        cause: str | None = None,
    ) -> AlertOut:
        """Check the caller may act on this alert, act as the caller, audit the request."""
        request, principal, alert_id = self.request, self.principal, self.alert_id
        deps = get_deps(request)
        note = None if body is None else body.note
        target = f"alert/{alert_id}"
        try:
            if not principal.is_staff:
                alert = await deps.alerts.get(alert_id)
                if alert is None:
                    raise NotFoundError(f"alert {alert_id} does not exist")
                check_alert(principal, alert)
            command = AlertCommand(action, principal.name, note, shelve_ms, assignee, cause)
            done = await deps.actions.act(alert_id, command)
        except (HTTPException, LifelineError) as exc:
            outcome = "denied" if isinstance(exc, HTTPException) else "failed"
            await record(
                request,
                principal.name,
                "alert_action",
                action.value,
                outcome=outcome,
                target=target,
                detail=str(getattr(exc, "detail", exc)),
            )
            raise
        await record(
            request,
            principal.name,
            "alert_action",
            action.value,
            target=target,
            detail=f"{done.state.value}" + (f"; cause={cause}" if cause else ""),
        )
        return AlertOut.of(done)


def _acting(alert_id: AlertId, request: Request, principal: PrincipalDep) -> _Acting:
    return _Acting(alert_id, request, principal)


Acting = Annotated[_Acting, Depends(_acting)]


@router.post("/{alert_id}/ack", summary="Acknowledge")
async def ack(acting: Acting, body: ActionBody | None = None) -> AlertOut:
    return await acting.act(AlertAction.ACK, body)


@router.post("/{alert_id}/shelve", summary="Shelve for 1..1440 minutes")
async def shelve(acting: Acting, body: ShelveBody) -> AlertOut:
    return await acting.act(AlertAction.SHELVE, body, shelve_ms=body.minutes * _MS_PER_MINUTE)


@router.post("/{alert_id}/unshelve", summary="Return a shelved alert")
async def unshelve(acting: Acting, body: ActionBody | None = None) -> AlertOut:
    return await acting.act(AlertAction.UNSHELVE, body)


@router.post("/{alert_id}/close", summary="Close, optionally with the resolution cause")
async def close(acting: Acting, body: CloseBody | None = None) -> AlertOut:
    cause = None if body is None or body.cause is None else body.cause.value
    return await acting.act(AlertAction.CLOSE, body, cause=cause)


@router.post("/{alert_id}/out_of_service", summary="Remove from service")
async def out_of_service(acting: Acting, body: ActionBody | None = None) -> AlertOut:
    return await acting.act(AlertAction.OUT_OF_SERVICE, body)


@router.post("/{alert_id}/return_to_service", summary="Return to service")
async def return_to_service(acting: Acting, body: ActionBody | None = None) -> AlertOut:
    return await acting.act(AlertAction.RETURN_TO_SERVICE, body)


@router.post("/{alert_id}/assign", summary="Assign to a crew or person")
async def assign(acting: Acting, body: AssignBody) -> AlertOut:
    return await acting.act(AlertAction.ASSIGN, body, assignee=body.assignee)
