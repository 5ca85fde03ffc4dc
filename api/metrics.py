"""Prometheus request metrics for the API: :class:`ApiMetrics` and the ASGI middleware
that records them.

``create_app`` takes the single :class:`ApiMetrics` of ``ApiDeps.metrics_registry``
(default: prometheus_client's process-wide registry, which ``GET /metrics`` exposes with
everything else the process records) with :meth:`ApiMetrics.on`, so building the app
twice in one process never raises "Duplicated timeseries"; tests may pass a fresh
``CollectorRegistry()``. Requests are labelled by route template
(``/api/v1/channels/{channel_id}``), never by raw path, so unknown ids cannot blow up
the label set.
"""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.base import HttpMiddleware
from lifeline.metrics import MetricSet

__all__ = ["ApiMetrics", "MetricsMiddleware"]

_UNMATCHED: Final = "unmatched"


class ApiMetrics(MetricSet):
    def __init__(self, registry: CollectorRegistry) -> None:
        """Register new collectors on ``registry``; prefer :meth:`on`."""
        super().__init__(registry)
        self.requests = Counter(
            "lifeline_api_requests_total",
            "HTTP requests answered by the API, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "lifeline_api_request_seconds",
            "Time to answer an HTTP request (until the response starts), by method and route",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        )


class MetricsMiddleware(HttpMiddleware):
    """Counts every HTTP request and times it to the start of its response."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500
        observed = False

        def observe() -> None:
            nonlocal observed
            if observed:
                return
            observed = True
            method = str(scope["method"])
            route = _route_of(scope)
            elapsed = time.perf_counter() - started
            self.metrics.request_seconds.labels(method, route).observe(elapsed)
            self.metrics.requests.labels(method, route, str(status)).inc()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                observe()
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            observe()


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path
    return _UNMATCHED
