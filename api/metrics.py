"""Prometheus request metrics for the API, as a plain ASGI middleware.

The metric objects live in prometheus_client's default registry (process-wide by
design: ``GET /metrics`` exposes it with everything else the process records).
Requests are labelled by route template (``/api/v1/channels/{channel_id}``), never by
raw path, so unknown ids cannot blow up the label set.
"""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REQUESTS", "REQUEST_SECONDS", "MetricsMiddleware"]

REQUESTS: Final = Counter(
    "lifeline_api_requests_total",
    "HTTP requests answered by the API, by method, route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS: Final = Histogram(
    "lifeline_api_request_seconds",
    "Time to answer an HTTP request (until the response starts), by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
)
_UNMATCHED: Final = "unmatched"


class MetricsMiddleware:
    """Counts every HTTP request and times it to the start of its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
            REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
            REQUESTS.labels(method, route, str(status)).inc()

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
