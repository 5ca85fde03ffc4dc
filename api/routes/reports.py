"""``/api/v1/reports``: the period report (staff), as JSON, CSV or XLSX.

``period`` day, week (ISO, Monday first) or month, the one containing the local date
``date`` (Asia/Shanghai; default today). XLSX has one sheet per section; CSV is one
``section``. The report is built from the stores at each request (``api.reports``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Final, Literal

import msgspec
from fastapi import APIRouter, HTTPException, Query, Response

from api.deps import AlertStoreDep, Deps, RegistryDep, TelemetryDep
from api.reports import PeriodKind, Section, build_report, report_period, report_sheets
from api.routes import API_PREFIX
from api.timeparse import LOCAL_TZ
from lifeline.tables import csv_bytes, xlsx_bytes

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/reports", tags=["reports"])

_MEDIA: Final = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EARLIEST: Final = dt.date(2000, 1, 1)
_LATEST: Final = dt.date(2099, 12, 1)


@router.get(
    "",
    summary="On-line rates, alarm counts, handling times and ISA-18.2 KPIs of a day/week/month",
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
async def get_report(
    deps: Deps,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    period: Annotated[PeriodKind, Query(description="day | week | month")] = "month",
    date: Annotated[dt.date | None, Query(description="a local date in the period")] = None,
    fmt: Annotated[Literal["json", "csv", "xlsx"], Query(alias="format")] = "json",
    section: Annotated[Section, Query(description="the CSV's table")] = "summary",
    lang: Annotated[Literal["zh-CN", "en"], Query()] = "zh-CN",
    operators: Annotated[int, Query(ge=1, le=100, description="operators on duty")] = 1,
) -> Response:
    now = deps.auth_options.now_ms()
    day = date or dt.datetime.fromtimestamp(now / 1000, LOCAL_TZ).date()
    if not _EARLIEST <= day <= _LATEST:
        raise HTTPException(422, detail="date must lie in 2000..2099")
    span = report_period(period, day)
    report = await build_report(span, registry, telemetry, alerts, now, operators)
    if fmt == "json":
        return Response(msgspec.json.encode(report), media_type=_MEDIA["json"])
    if fmt == "csv":
        data = await asyncio.to_thread(csv_bytes, report_sheets(report, lang, section)[0])
        name = f"report-{span.label}-{section}.csv"
    else:
        data = await asyncio.to_thread(xlsx_bytes, report_sheets(report, lang))
        name = f"report-{span.label}.xlsx"
    return Response(
        data,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
