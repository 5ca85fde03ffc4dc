"""Pure ASGI middlewares around the whole app: body size limits, security headers,
the access log. Each wraps any ASGI app and knows nothing of the routes' code; each is
an :class:`api.http.base.HttpMiddleware` (HTTP handled, anything else passed on)."""
