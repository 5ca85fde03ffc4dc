"""The HTTP access log: one structured line (``http_request``) per request, written
when the response ends (for the SSE stream: when the client leaves).

Facts: method, path, the query's parameter names with secret values replaced (the
stream takes ``?access_token=``: a token never reaches the log), status, duration in
ms, client address. Headers (and so ``Authorization``) are never logged.
"""

from __future__ import annotations

import logging
import time
from typing import Final
from urllib.parse import parse_qsl, urlencode

from starlette.types import Message, Receive, Scope, Send

from api.http.base import HttpMiddleware

__all__ = ["AccessLogMiddleware", "redacted_query"]

log = logging.getLogger("lifeline.http")

_SECRET_PARAMS: Final = frozenset({"access_token", "token", "api_key", "key", "password"})
_MAX_QUERY: Final = 512


def redacted_query(raw: bytes) -> str:
    """The query string with the values of secret-looking parameters replaced."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    safe = [(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs]
    return urlencode(safe)[:_MAX_QUERY]


class AccessLogMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # an exception before any response is the server's error

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            client = scope.get("client")
            log.info(
                "http_request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": redacted_query(scope.get("query_string", b"")),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
