"""Security headers on every response: the pages' Content-Security-Policy, no MIME
sniffing, no framing, no referrer.

The pages load only their own scripts, styles and the vendored ECharts from ``/static``
and talk only to this origin (fetch and the SSE stream). ``style-src`` allows inline
styles because ECharts writes ``style`` attributes into its tooltips; scripts stay
``'self'`` only. ``/docs`` (Swagger UI) starts itself with one inline script, so it alone
gets ``script-src 'self' 'unsafe-inline'``.
"""

from __future__ import annotations

from typing import Final

from starlette.types import Message, Receive, Scope, Send

from api.http.base import HttpMiddleware

__all__ = ["CONTENT_SECURITY_POLICY", "DOCS_CONTENT_SECURITY_POLICY", "SecurityHeadersMiddleware"]

_COMMON: Final = (
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY: Final = "; ".join((*_COMMON, "script-src 'self'"))
DOCS_CONTENT_SECURITY_POLICY: Final = "; ".join((*_COMMON, "script-src 'self' 'unsafe-inline'"))
_DOCS_PATHS: Final = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def _headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]


_PAGES: Final = _headers(CONTENT_SECURITY_POLICY)
_DOCS: Final = _headers(DOCS_CONTENT_SECURITY_POLICY)
_NAMES: Final = frozenset(name for name, _ in _PAGES)


class SecurityHeadersMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = _DOCS if scope["path"] in _DOCS_PATHS else _PAGES

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
