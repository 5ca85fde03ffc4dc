"""Lifeline's HTTP API: a FastAPI app under ``/api/v1`` built by :func:`create_app`.

Modules:

- ``app``           ``create_app(deps)``: routers, error handlers, metrics middleware
- ``deps``          :class:`ApiDeps` (what the API needs) and typed dependency aliases
- ``schemas``       pydantic response and request models, separate from storage types
- ``routes``        one router per resource
- ``listing``       list routes: scope to the caller, filter, sort, page (``ListingDep``)
- ``lookup``        registry look-ups that raise NotFoundError; open alerts of a source
- ``presence``      a source's on-line flag and displayed state (normal | alarm | fault | offline)
- ``timeparse``     query-string instants, steps and local-day arithmetic
- ``metrics``       Prometheus request metrics (``ApiMetrics``, ASGI middleware)
- ``sse``           Server-Sent Events framing of the live alert stream
"""

from api.app import create_app
from api.deps import ApiDeps, ComponentHealth

__all__ = ["ApiDeps", "ComponentHealth", "create_app"]
