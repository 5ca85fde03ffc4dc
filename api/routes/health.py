"""Probes and metrics: ``/livez`` (liveness), ``/readyz`` = ``/healthz`` (readiness:
component health, 503 when one is down) and ``/metrics`` (Prometheus).

Liveness answers 200 whenever the process's event loop serves requests, whatever its
components say: a store that is down (the spool is doing its job) or a broker being
reconnected is a readiness matter, and restarting the process would not fix it.
"""

from __future__ import annotations

import inspect
import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from api.deps import ComponentHealth, Deps, HealthCheck, HealthReport, MetricsDep
from api.schemas.health import ComponentOut, HealthOut

__all__ = ["LIVE", "health_response", "metrics_response", "report_of", "router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


async def report_of(check: HealthCheck) -> HealthReport:
    """Run a health check (sync or async); a crashing check reports itself as down."""
    try:
        result = check()
        return await result if inspect.isawaitable(result) else result
    except Exception as exc:
        log.exception("api_health_check_failed")
        return {"health_check": ComponentHealth(False, f"health check failed: {exc!r}")}


LIVE: dict[str, str] = {"status": "alive"}


@router.get("/livez", summary="Liveness: the process and its event loop answer")
async def livez() -> dict[str, str]:
    return LIVE


@router.get(
    "/healthz",
    summary="Readiness: health of the service and its components (same as /readyz)",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "a component is down"}},
)
@router.get(
    "/readyz",
    summary="Readiness: health of the service and its components",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "a component is down"}},
)
async def healthz(deps: Deps) -> JSONResponse:
    return health_response(await report_of(deps.health))


def health_response(report: HealthReport) -> JSONResponse:
    """200 with every component, or 503 when one is down."""
    ok = all(c.ok for c in report.values())
    body = HealthOut(
        status="ok" if ok else "unavailable",
        components={name: ComponentOut(ok=c.ok, detail=c.detail) for name, c in report.items()},
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(api_metrics: MetricsDep) -> Response:
    return metrics_response(api_metrics.registry)


def metrics_response(registry: CollectorRegistry = REGISTRY) -> Response:
    """Prometheus text of ``registry`` (default: the process-wide one)."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
