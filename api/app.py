"""``create_app(deps)``: the FastAPI application, with no import-time state (the
request metrics are the :class:`api.metrics.ApiMetrics` of ``deps.metrics_registry``).

Resources are mounted under ``/api/v1`` (OpenAPI at ``/openapi.json``, Swagger UI at
``/docs`` served from a package, see :mod:`api.routes.docs`);
``/healthz`` and ``/metrics`` sit at the root, and so do the web pages (``/`` control
room, ``/crew`` field crews, ``/static/...``). Every route passes
:func:`api.auth.guard.authorize` (bearer token, then the route's rule in
:mod:`api.auth.policy`); only ``/healthz``, ``/metrics``, the login and the pages' HTML
are public. Lifeline's errors map to HTTP here, once:
NotFoundError → 404, TransitionError → 409, UnavailableError → 503, each with
``{"detail": message}``.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.auth.guard import authorize
from api.deps import ApiDeps
from api.http.accesslog import AccessLogMiddleware
from api.http.bodylimit import BodyLimitMiddleware
from api.http.headers import SecurityHeadersMiddleware
from api.metrics import ApiMetrics, MetricsMiddleware
from api.routes import (
    API_PREFIX,
    alerts,
    audit,
    auth,
    channels,
    crews,
    enterprises,
    health,
    kpis,
    labels,
    maintenance,
    meters,
    notify,
    registry_io,
    rejects,
    reports,
    rule_parameters,
    rules,
    search,
    series,
    setpoints,
    stations,
    ui,
    users,
)
from api.routes.docs import install_docs
from lifeline.core import CONTRACT_VERSION
from lifeline.core.errors import ConfigError, NotFoundError, TransitionError, UnavailableError

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
    if deps.auth is None:
        raise ConfigError("the API needs an AuthStore (ApiDeps.auth): it never runs open")
    app = FastAPI(
        dependencies=[Depends(authorize)],
        docs_url=None,  # served from the package by install_docs: no CDN (works offline)
        redoc_url=None,
        title="Lifeline API",
        version=f"{CONTRACT_VERSION}.0",
        description=(
            "Gas and heating lifeline monitoring: channels, enterprises, stations, meters, "
            "series, alerts and rejects. Times are RFC 3339 UTC plus raw epoch ms (`*_ms`). "
            "Every route but /healthz, /metrics and /api/v1/auth/login needs "
            "`Authorization: Bearer <token>`: a login token (POST /api/v1/auth/login) or an "
            "API key. Roles: admin, operator, crew, utility (docs/security.md). Alert actions "
            "act as the authenticated account; a body `actor` is ignored."
        ),
    )
    app.state.deps = deps
    app.state.metrics = metrics = ApiMetrics.on(deps.metrics_registry)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # outermost last: the access log sees every answer, the 413s and the headers included
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(TransitionError, _conflict)
    app.add_exception_handler(UnavailableError, _unavailable)
    for module in (
        auth,
        channels,
        enterprises,
        stations,
        meters,
        series,
        alerts,
        rejects,
        rule_parameters,
        rules,
        kpis,
        labels,
        search,
        maintenance,
        setpoints,
        registry_io,
        reports,
        users,
        crews,
        audit,
        notify,
        health,
        ui,
    ):
        app.include_router(module.router)
    install_docs(app)
    app.mount("/static", ui.static_files(), name="static")
    return app
