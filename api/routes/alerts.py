"""``/api/v1/alerts``: list, detail with audit trail, operator actions, live stream.

Actions (``POST /alerts/{id}/ack`` ...) go to :class:`~lifeline.ports.AlertActions`
(the rule engine owns alerts). Authentication comes later: until then ``actor`` is
taken from the JSON body and defaults to ``"operator"``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import StreamingResponse

from api.deps import ActionsDep, AlertStoreDep, Deps, PageDep
from api.routes import API_PREFIX
from api.schemas.alerts import ActionBody, AlertDetail, AlertOut, AssignBody, AuditOut, ShelveBody
from api.schemas.common import Page
from api.sse import sse_frames
from lifeline.alert import OPEN_STATES, AlertAction, AlertQuery, AlertState, Severity
from lifeline.errors import NotFoundError
from lifeline.ids import SourceKind
from lifeline.ports import AlertActions

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/alerts", tags=["alerts"])

AlertId = Annotated[int, Path(ge=1, description="alert id")]
_MS_PER_MINUTE = 60_000


@router.get("", summary="Alerts, newest first")
async def list_alerts(
    alerts: AlertStoreDep,
    page: PageDep,
    state: Annotated[list[AlertState] | None, Query(description="repeatable")] = None,
    severity: Annotated[list[Severity] | None, Query(description="repeatable")] = None,
    kind: Annotated[SourceKind | None, Query(description="source kind")] = None,
    district: str | None = None,
    enterprise: Annotated[str | None, Query(description="enterprise id")] = None,
    utility: Annotated[str | None, Query(description="utility id")] = None,
    source_id: str | None = None,
    rule: str | None = None,
    is_open: Annotated[
        bool | None, Query(alias="open", description="true: any open state; false: closed only")
    ] = None,
) -> Page[AlertOut]:
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
        utility_id=utility,
        limit=page.limit,
        offset=page.offset,
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
async def stream_alerts(deps: Deps) -> StreamingResponse:
    if deps.live is None:
        raise HTTPException(503, detail="the live alert stream is not configured")
    return StreamingResponse(
        sse_frames(deps.live()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{alert_id}", summary="One alert with its audit trail")
async def get_alert(alert_id: AlertId, alerts: AlertStoreDep) -> AlertDetail:
    alert = await alerts.get(alert_id)
    if alert is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    entries = sorted(await alerts.audit(alert_id), key=lambda e: (e.at_ms, e.id))
    return AlertDetail(**AlertOut.of(alert).model_dump(), audit=[AuditOut.of(e) for e in entries])


async def _act(
    actions: AlertActions,
    alert_id: int,
    action: AlertAction,
    body: ActionBody | None,
    shelve_ms: int | None = None,
    assignee: str | None = None,
) -> AlertOut:
    body = body or ActionBody()
    alert = await actions.act(
        alert_id, action, body.actor, body.note, shelve_ms=shelve_ms, assignee=assignee
    )
    return AlertOut.of(alert)


@router.post("/{alert_id}/ack", summary="Acknowledge")
async def ack(alert_id: AlertId, actions: ActionsDep, body: ActionBody | None = None) -> AlertOut:
    return await _act(actions, alert_id, AlertAction.ACK, body)


@router.post("/{alert_id}/shelve", summary="Shelve for 1..1440 minutes")
async def shelve(alert_id: AlertId, actions: ActionsDep, body: ShelveBody) -> AlertOut:
    return await _act(
        actions, alert_id, AlertAction.SHELVE, body, shelve_ms=body.minutes * _MS_PER_MINUTE
    )


@router.post("/{alert_id}/unshelve", summary="Return a shelved alert")
async def unshelve(
    alert_id: AlertId, actions: ActionsDep, body: ActionBody | None = None
) -> AlertOut:
    return await _act(actions, alert_id, AlertAction.UNSHELVE, body)


@router.post("/{alert_id}/close", summary="Close")
async def close(alert_id: AlertId, actions: ActionsDep, body: ActionBody | None = None) -> AlertOut:
    return await _act(actions, alert_id, AlertAction.CLOSE, body)


@router.post("/{alert_id}/out_of_service", summary="Remove from service")
async def out_of_service(
    alert_id: AlertId, actions: ActionsDep, body: ActionBody | None = None
) -> AlertOut:
    return await _act(actions, alert_id, AlertAction.OUT_OF_SERVICE, body)


@router.post("/{alert_id}/return_to_service", summary="Return to service")
async def return_to_service(
    alert_id: AlertId, actions: ActionsDep, body: ActionBody | None = None
) -> AlertOut:
    return await _act(actions, alert_id, AlertAction.RETURN_TO_SERVICE, body)


@router.post("/{alert_id}/assign", summary="Assign to a crew or person")
async def assign(alert_id: AlertId, actions: ActionsDep, body: AssignBody) -> AlertOut:
    return await _act(actions, alert_id, AlertAction.ASSIGN, body, assignee=body.assignee)
