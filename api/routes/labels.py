"""``/api/v1/labels``: the names of rules, severities, states, source kinds and metrics in
both languages, with each metric's unit and decimals (``lifeline.core.labels``). Public
and static: the pages load it before a login, so nothing is named twice."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import API_PREFIX
from lifeline.core.labels import tables

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX, tags=["labels"])


@router.get("/labels", summary="Names in zh-CN and English, metric units and decimals")
async def labels() -> dict[str, object]:
    return tables()
