"""Swagger UI at ``/docs``, served whole by this process, so it works offline.

The page is ``api/static/docs.html``; it loads Swagger UI's script and style from
``/docs/assets/`` (files of the ``swagger-ui-bundle-v2`` package, Swagger UI 5, which
renders FastAPI's OpenAPI 3.1) and starts it with ``/static/js/docs.js`` — no inline
script, no CDN, no external host. Only the assets the page uses are served (the
package's own ``index.html`` would fetch a demo spec from the internet). ``/redoc`` is
off: ReDoc would need a CDN too. Like FastAPI's own docs routes these are plain
Starlette routes: public, outside the API's schema and policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from swagger_ui_bundle import swagger_ui_path

from api.routes.ui import STATIC_DIR

__all__ = ["ASSETS", "DOCS_ASSETS_PREFIX", "install_docs"]

DOCS_ASSETS_PREFIX: Final = "/docs/assets"
ASSETS: Final = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
_SWAGGER_DIR: Final = Path(str(swagger_ui_path))


async def _page(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "docs.html", headers={"Cache-Control": "no-cache"})


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return JSONResponse({"detail": "no such docs asset"}, status_code=404)
    return FileResponse(_SWAGGER_DIR / name)


def install_docs(app: FastAPI) -> None:
    """Add ``/docs`` and its assets to ``app`` (created with ``docs_url=None``)."""
    app.add_route("/docs", _page, methods=["GET"], include_in_schema=False)
    app.add_route(DOCS_ASSETS_PREFIX + "/{name}", _asset, methods=["GET"], include_in_schema=False)
