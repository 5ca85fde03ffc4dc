"""A webhook receiver for ``lifeline bench --notify``: when each alert's first firing
notice arrives.

A loopback HTTP server (uvicorn + Starlette, both already dependencies) that accepts
the Alertmanager-v4 JSON Lifeline's ``webhook`` receiver POSTs and notes, per source,
the monotonic time of its first ``firing`` message. :meth:`WebhookSink.notify_file`
writes a notify file that routes every critical alert to it at once (no repeats or
escalations: the bench measures the path from publish to the first POST).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp as ASGIApplication

__all__ = ["WebhookSink", "serve_loopback"]


class _Alert(msgspec.Struct):
    labels: dict[str, str]


class _Lifeline(msgspec.Struct):
    kind: str


class _Body(msgspec.Struct):
    alerts: list[_Alert]
    lifeline: _Lifeline


_DECODE = msgspec.json.Decoder(_Body)


@contextlib.asynccontextmanager
async def serve_loopback(app: ASGIApplication) -> AsyncIterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port in this event loop; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class WebhookSink:
    first_firing: dict[str, float] = field(default_factory=dict)  # source -> monotonic
    posts: int = 0
    url: str = ""

    async def _hook(self, request: Request) -> Response:
        body = _DECODE.decode(await request.body())
        now = time.monotonic()
        self.posts += 1
        if body.lifeline.kind == "firing":
            for alert in body.alerts:
                self.first_firing.setdefault(alert.labels.get("source_id", ""), now)
        return Response(status_code=200)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[WebhookSink]:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        async with serve_loopback(app) as base:
            self.url = f"{base}/hook"
            yield self

    def notify_file(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "notify-bench.yaml"
        path.write_text(
            "receivers:\n"
            f"  - {{name: bench, type: webhook, url: {self.url!r}}}\n"
            "routes:\n"
            "  - {match: {severity: [critical]}, notify: [bench]}\n"
        )
        return path

    def latencies_ms(self, sent: dict[str, float]) -> list[float]:
        """Publish -> first firing POST of each alarm channel that got one."""
        return [
            (self.first_firing[source] - at) * 1000
            for source, at in sent.items()
            if source in self.first_firing
        ]
