"""``/api/v1/notify``: receivers and routes (admin, secrets masked), a test message to
one receiver, and ``/api/v1/alerts/{id}/notifications``: what was planned and tried for
an alert (the detail drawer's notification history)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request

from api.auth.audit import record
from api.auth.guard import PrincipalDep
from api.deps import Deps
from api.routes import API_PREFIX
from api.schemas.notify import AttemptOut, HistoryOut, ItemOut, RoutesOut, TestOut
from lifeline.core.ports import NotifyView
from lifeline.core.timeutil import iso_ms

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["notifications"])

Receiver = Annotated[str, Path(description="receiver name", max_length=64)]


def _view(deps: Deps) -> NotifyView | None:
    return deps.notify


@router.get("/notify/receivers", summary="Configured receivers, secrets masked")
async def receivers(deps: Deps) -> list[dict[str, object]]:
    view = _view(deps)
    return [] if view is None else view.describe_receivers()


@router.get("/notify/routes", summary="Routes, escalation steps, rosters and crews")
async def routes(deps: Deps) -> RoutesOut:
    view = _view(deps)
    if view is None:
        return RoutesOut(routes=[], rosters=[], crews={}, link_base="")
    return RoutesOut.model_validate(view.describe_routes())


@router.post("/notify/test/{receiver}", summary="Send a test message to one receiver now")
async def test(
    receiver: Receiver, deps: Deps, request: Request, principal: PrincipalDep
) -> TestOut:
    view = _view(deps)
    if view is None or not view.has_receiver(receiver):
        raise HTTPException(404, f"no receiver {receiver!r}")
    attempt = await view.test(receiver)
    await record(
        request,
        principal.name,
        "notify",
        "test",
        outcome="ok" if attempt.ok else "failed",
        target=receiver,
        detail=attempt.result[:200],
    )
    return TestOut(
        receiver=receiver,
        ok=attempt.ok,
        retryable=attempt.retryable,
        result=attempt.result,
        at=iso_ms(attempt.at_ms),
    )


@router.get(
    "/alerts/{alert_id}/notifications",
    summary="Notifications planned and attempted for one alert, oldest first",
)
async def history(alert_id: Annotated[int, Path(ge=1, le=2**62)], deps: Deps) -> HistoryOut:
    view = _view(deps)
    if view is None:
        return HistoryOut(alert_id=alert_id, items=[], attempts=[])
    items, attempts = await view.history(alert_id)
    return HistoryOut(
        alert_id=alert_id,
        items=[ItemOut.of(i) for i in items],
        attempts=[AttemptOut.of(a) for a in attempts],
    )
