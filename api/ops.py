"""``create_ops_app(health)``: ``/livez``, ``/readyz`` (= ``/healthz``) and ``/metrics``
for worker processes.

``lifeline ingest`` and ``lifeline rules`` serve no API, but orchestrators need a health
check and Prometheus needs their metrics; they serve this small app on
``LIFELINE_METRICS_PORT`` (default 9100).
"""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from api.deps import HealthCheck
from api.routes.health import LIVE, health_response, metrics_response, report_of

__all__ = ["create_ops_app"]


def create_ops_app(health: HealthCheck, title: str) -> FastAPI:
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        """Liveness: answers while the event loop runs, whatever the components say."""
        return LIVE

    @app.get("/healthz")
    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 503 while a component (store, broker connection) is down."""
        return health_response(await report_of(health))

    @app.get("/metrics")
    async def metrics() -> Response:
        return metrics_response()

    return app
