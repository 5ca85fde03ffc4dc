"""Request body limits, enforced before a route reads its body.

A declared ``Content-Length`` above the limit is refused with 413 before one byte of the
body is read; a chunked (or lying) body is counted as it streams in and cut off with 413
as soon as it passes the limit, so no route ever buffers more than its limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.base import HttpMiddleware

__all__ = ["DEFAULT_BODY_LIMIT", "ROUTE_BODY_LIMITS", "BodyLimitMiddleware"]

DEFAULT_BODY_LIMIT: Final = 64 * 1024
ROUTE_BODY_LIMITS: Final[Mapping[str, int]] = {
    "/api/v1/auth/login": 4 * 1024,  # a user name (≤ 64) and a password (≤ 256) in JSON
    # a registry table (CSV or XLSX): 10,000 meters are ~1 MiB of CSV
    "/api/v1/registry/import": 16 * 1024 * 1024,
}


class BodyTooLarge(HTTPException):
    """Raised into the app when a streamed body passes its limit: an HTTPException, so
    the route's body parsing passes it on and the app answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"request body larger than {limit} bytes")


class BodyLimitMiddleware(HttpMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        default: int = DEFAULT_BODY_LIMIT,
        routes: Mapping[str, int] = ROUTE_BODY_LIMITS,
    ) -> None:
        super().__init__(app)
        self.default = default
        self.routes = routes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.routes.get(scope["path"], self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
