"""``create_app(deps)``: the FastAPI application, with no import-time state.

Resources are mounted under ``/api/v1`` (OpenAPI at ``/docs``, ``/openapi.json``);
``/healthz`` and ``/metrics`` sit at the root. Lifeline's errors map to HTTP here, once:
NotFoundError → 404, TransitionError → 409, UnavailableError → 503, each with
``{"detail": message}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.deps import ApiDeps
from api.metrics import MetricsMiddleware
from api.routes import (
    API_PREFIX,
    alerts,
    channels,
    enterprises,
    health,
    meters,
    rejects,
    series,
    stations,
)
from lifeline import CONTRACT_VERSION
from lifeline.errors import NotFoundError, TransitionError, UnavailableError

__all__ = ["API_PREFIX", "create_app"]

log = logging.getLogger(__name__)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    log.info("api_transition_refused", extra={"path": request.url.path, "detail": str(exc)})
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("api_dependency_unavailable", extra={"path": request.url.path, "detail": str(exc)})
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})


def create_app(deps: ApiDeps) -> FastAPI:
    """The API over ``deps``; the caller owns (opens and closes) everything in it."""
    app = FastAPI(
        title="Lifeline API",
        version=f"{CONTRACT_VERSION}.0",
        description=(
            "Gas and heating lifeline monitoring: channels, enterprises, stations, meters, "
            "series, alerts and rejects. Times are RFC 3339 UTC plus raw epoch ms (`*_ms`). "
            "Authentication is not enabled yet: alert actions take `actor` from the body "
            "(default `operator`)."
        ),
    )
    app.state.deps = deps
    app.add_middleware(MetricsMiddleware)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(TransitionError, _conflict)
    app.add_exception_handler(UnavailableError, _unavailable)
    for module in (channels, enterprises, stations, meters, series, alerts, rejects, health):
        app.include_router(module.router)
    return app
