"""The web interface: the control-room page at ``/``, the field-crew page at ``/crew``,
administration at ``/admin``, the printable reports at ``/reports``, and their static
files (plain JavaScript modules, CSS, vendored ECharts) under ``/static``.

Nothing is built: the files in ``api/static`` are served as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["STATIC_DIR", "router", "static_files"]

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
_NO_CACHE: Final = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["ui"], include_in_schema=False)


@router.get("/")
async def control_room() -> FileResponse:
    return FileResponse(STATIC_DIR / "control-room.html", headers=_NO_CACHE)


@router.get("/crew")
async def crew() -> FileResponse:
    return FileResponse(STATIC_DIR / "crew.html", headers=_NO_CACHE)


@router.get("/admin")
async def admin() -> FileResponse:
    return FileResponse(STATIC_DIR / "admin.html", headers=_NO_CACHE)


@router.get("/reports")
async def reports() -> FileResponse:
    return FileResponse(STATIC_DIR / "reports.html", headers=_NO_CACHE)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
