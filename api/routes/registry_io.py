"""``/api/v1/registry/import`` and ``/export``: the device registry as CSV or XLSX (admin).

Import: the request body is the file itself (CSV, UTF-8 or GB18030, or XLSX; told apart
by its first bytes), one table per ``kind``. Every row is checked
(``lifeline.registry_io``); a dry run (the default) answers what would be added,
updated and left unchanged and every bad row's faults; applied, the good rows go into
the live registry and the registry store at once (scaled-out workers follow within
~2 s) and the bad ones are reported, not saved. The audit entry lists the added ids and
every updated field before and after. Parsing runs off the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from api.auth.audit import record
from api.auth.changes import before_after
from api.auth.guard import PrincipalDep
from api.deps import Deps, RegistryDep
from api.routes import API_PREFIX
from api.schemas.registry_io import ImportOut, RowErrorOut
from lifeline.core.registry import Registry
from lifeline.registry_io import (
    ImportPlan,
    Parsed,
    export_sheet,
    imported_registry,
    parse_rows,
    plan_import,
)
from lifeline.tables import TableError, csv_bytes, read_table, xlsx_bytes

__all__ = ["IMPORT_PATH", "MAX_IMPORT_BYTES", "router"]

router = APIRouter(prefix=f"{API_PREFIX}/registry", tags=["admin"])

IMPORT_PATH: Final = f"{API_PREFIX}/registry/import"
MAX_IMPORT_BYTES: Final = 16 * 1024 * 1024
_SHOWN_ERRORS: Final = 1000
_SHOWN_IDS: Final = 100
KindName = Literal["channels", "enterprises", "stations", "meters"]
_MEDIA: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _parse(data: bytes, kind: str, registry: Registry, now_ms: int) -> tuple[Parsed, ImportPlan]:
    parsed = parse_rows(read_table(data), kind, registry)
    return parsed, plan_import(registry, kind, parsed.entities, now_ms)


def _changed_fields(before: Any, after: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    names = [f for f in type(after).__struct_fields__ if getattr(before, f) != getattr(after, f)]
    return {f: getattr(before, f) for f in names}, {f: getattr(after, f) for f in names}


async def _apply(deps: Deps, registry: Registry, plan: ImportPlan) -> None:
    if deps.registry_store is None:
        raise HTTPException(503, detail="the registry is read-only in this process")
    previous = imported_registry(registry, ImportPlan(plan.kind))  # a copy as it is
    registry.adopt(imported_registry(registry, plan))
    try:
        await deps.registry_store.save(registry)
    except BaseException:
        registry.adopt(previous)
        raise


@router.post(
    "/import",
    summary="Import a registry table (CSV or XLSX body); dry run by default (audited)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the file itself: CSV text, or an XLSX workbook's bytes",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_table(
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
    registry: RegistryDep,
    kind: Annotated[KindName, Query(description="which table the file holds")],
    dry_run: Annotated[bool, Query(description="check and plan only")] = True,
) -> ImportOut:
    data = await request.body()
    now = deps.auth_options.now_ms()
    try:
        parsed, plan = await asyncio.to_thread(_parse, data, kind, registry, now)
    except TableError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    applied = not dry_run and bool(plan.added or plan.updated)
    if applied:
        await _apply(deps, registry, plan)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for old, new in plan.updated:
            before[new.id], after[new.id] = _changed_fields(old, new)
        await record(
            request,
            principal.name,
            "registry",
            f"import_{kind}",
            target=f"registry/{kind}",
            detail=before_after(
                before,
                after,
                added=[e.id for e in plan.added],
                rejected_rows=parsed.rejected_rows,
                rows=parsed.rows,
            ),
        )
    return ImportOut(
        kind=kind,
        dry_run=dry_run,
        applied=applied,
        rows=parsed.rows,
        added=len(plan.added),
        updated=len(plan.updated),
        unchanged=plan.unchanged,
        rejected_rows=parsed.rejected_rows,
        errors=[
            RowErrorOut(row=e.row, column=e.column, message=e.message, code=e.code, params=e.params)
            for e in parsed.errors[:_SHOWN_ERRORS]
        ],
        ignored_columns=parsed.ignored_columns,
        added_ids=[e.id for e in plan.added[:_SHOWN_IDS]],
        updated_ids=[new.id for _, new in plan.updated[:_SHOWN_IDS]],
    )


@router.get("/export", summary="A registry table as CSV or XLSX (imports back as it is)")
async def export_table(
    registry: RegistryDep,
    kind: Annotated[KindName, Query(description="which table")],
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    sheet = export_sheet(registry, kind)
    data = await asyncio.to_thread(csv_bytes if fmt == "csv" else _one_sheet, sheet)
    day = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    return Response(
        data,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="registry-{kind}-{day}.{fmt}"'},
    )


def _one_sheet(sheet: Any) -> bytes:
    return xlsx_bytes([sheet])
