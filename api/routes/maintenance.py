"""``/api/v1/maintenance``: maintenance windows (planned out-of-service).

A window takes a source, a station or an enterprise (all its stations) out of service
over a wall-clock range, planned ahead: while it is active the rule engine raises its
new alerts out of service (recorded, audited, nobody alerted); at its start its open
alerts go out of service, at its end (or when it is cancelled) those it put there
return (``alerts.maintenance_runner``). Windows are cancelled, never deleted; every
change is in the audit log with the window before and after. The rule engine of
``lifeline up`` is told at once; scaled-out rules workers see a change within ~2 s.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from fastapi import APIRouter, HTTPException, Path, Query, Request

from api.auth.audit import record
from api.auth.changes import before_after
from api.auth.guard import PrincipalDep
from api.deps import ApiDeps, Deps, PageDep
from api.routes import API_PREFIX
from api.schemas.common import Page
from api.schemas.maintenance import (
    MaintenanceCreate,
    MaintenanceOut,
    MaintenancePatch,
)
from api.timeparse import parse_instant
from lifeline.core.errors import NotFoundError
from lifeline.core.maintenance import MaintenanceQuery, MaintenanceWindow
from lifeline.core.ports import MaintenanceStore
from lifeline.core.registry import Registry

__all__ = ["MAX_WINDOW_MS", "router"]

router = APIRouter(prefix=f"{API_PREFIX}/maintenance", tags=["maintenance"])

MAX_WINDOW_MS: Final = 90 * 24 * 3_600_000
WindowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="window id")]


def _store(deps: ApiDeps) -> MaintenanceStore:
    if deps.maintenance is None:
        raise HTTPException(503, detail="maintenance windows are not kept by this process")
    return deps.maintenance


def _describe(registry: Registry, source_id: str) -> tuple[str | None, str | None]:
    kind = registry.kind_of(source_id)
    entity = (
        registry.channels.get(source_id)
        or registry.stations.get(source_id)
        or registry.enterprises.get(source_id)
    )
    if entity is not None:
        return str(kind), entity.name
    meter = registry.meters.get(source_id)
    return (str(kind), meter.address) if meter is not None else (None, None)


def _out(deps: ApiDeps, window: MaintenanceWindow) -> MaintenanceOut:
    kind, name = _describe(deps.registry, window.target_id)
    return MaintenanceOut.of(window, kind, name, deps.auth_options.now_ms())


def _instant(value: str | int, field: str) -> int:
    try:
        return parse_instant(str(value))
    except ValueError as exc:
        raise HTTPException(422, detail=f"{field}: {exc}") from None


def _check(window: MaintenanceWindow, now_ms: int) -> None:
    if window.end_ms <= window.start_ms:
        raise HTTPException(422, detail="end must be after start")
    if window.end_ms <= now_ms:
        raise HTTPException(422, detail="the window would be over already")
    if window.end_ms - window.start_ms > MAX_WINDOW_MS:
        raise HTTPException(422, detail="a window lasts at most 90 days")


def _audited(window: MaintenanceWindow | None) -> dict[str, object] | None:
    return None if window is None else msgspec.to_builtins(window)


async def _get(store: MaintenanceStore, window_id: int) -> MaintenanceWindow:
    window = await store.get(window_id)
    if window is None:
        raise NotFoundError(f"maintenance window {window_id} not found")
    return window


async def _saved(
    request: Request,
    deps: ApiDeps,
    actor: str,
    action: str,
    before: MaintenanceWindow | None,
    after: MaintenanceWindow,
) -> MaintenanceOut:
    if deps.maintenance_changed is not None:
        deps.maintenance_changed()
    await record(
        request,
        actor,
        "maintenance",
        action,
        target=f"maintenance/{after.id}",
        detail=before_after(_audited(before), _audited(after)),
    )
    return _out(deps, after)


@router.get("", summary="Maintenance windows by start time (filters: active, upcoming, target)")
async def list_windows(
    deps: Deps,
    page: PageDep,
    active: Annotated[bool, Query(description="true: active now")] = False,
    upcoming: Annotated[bool, Query(description="true: not over yet (active or ahead)")] = False,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    include_cancelled: bool = False,
) -> Page[MaintenanceOut]:
    now = deps.auth_options.now_ms()
    query = MaintenanceQuery(
        target_id=target_id,
        active_at=now if active else None,
        ending_after=now if upcoming else None,
        include_cancelled=include_cancelled,
        limit=page.limit,
        offset=page.offset,
    )
    windows, total = await _store(deps).query(query)
    return Page(items=[_out(deps, w) for w in windows], total=total)


@router.get("/{window_id}", summary="One maintenance window")
async def get_window(window_id: WindowId, deps: Deps) -> MaintenanceOut:
    return _out(deps, await _get(_store(deps), window_id))


@router.post("", status_code=201, summary="Plan a maintenance window (audited)")
async def create_window(
    body: MaintenanceCreate, request: Request, principal: PrincipalDep, deps: Deps
) -> MaintenanceOut:
    store = _store(deps)
    if deps.registry.kind_of(body.target_id) is None:
        raise HTTPException(422, detail=f"unknown source {body.target_id!r}")
    now = deps.auth_options.now_ms()
    window = MaintenanceWindow(
        target_id=body.target_id,
        start_ms=_instant(body.start, "start"),
        end_ms=_instant(body.end, "end"),
        reason=body.reason,
        created_by=principal.name,
        created_at_ms=now,
    )
    _check(window, now)
    added = await store.add(window)
    return await _saved(request, deps, principal.name, "create", None, added)


@router.patch("/{window_id}", summary="Move or re-word a window that is not over (audited)")
async def update_window(
    window_id: WindowId,
    body: MaintenancePatch,
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
) -> MaintenanceOut:
    store = _store(deps)
    window = await _get(store, window_id)
    now = deps.auth_options.now_ms()
    if window.over_at(now):
        raise HTTPException(409, detail=f"maintenance window {window_id} is over or cancelled")
    changed = msgspec.structs.replace(
        window,
        start_ms=window.start_ms if body.start is None else _instant(body.start, "start"),
        end_ms=window.end_ms if body.end is None else _instant(body.end, "end"),
        reason=body.reason or window.reason,
        updated_by=principal.name,
        updated_at_ms=now,
    )
    _check(changed, now)
    await store.update(changed)
    return await _saved(request, deps, principal.name, "update", window, changed)


@router.delete("/{window_id}", summary="Cancel a window: kept, never active again (audited)")
async def cancel_window(
    window_id: WindowId, request: Request, principal: PrincipalDep, deps: Deps
) -> MaintenanceOut:
    store = _store(deps)
    window = await _get(store, window_id)
    if window.cancelled_at_ms is not None:
        raise HTTPException(409, detail=f"maintenance window {window_id} is cancelled already")
    now = deps.auth_options.now_ms()
    cancelled = msgspec.structs.replace(window, cancelled_by=principal.name, cancelled_at_ms=now)
    await store.update(cancelled)
    return await _saved(request, deps, principal.name, "cancel", window, cancelled)
