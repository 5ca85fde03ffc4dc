"""What the API needs from the rest of Lifeline (:class:`ApiDeps`) and the typed
FastAPI dependencies route handlers declare to receive it.

``create_app`` puts one :class:`ApiDeps` on ``app.state``; handlers never import a
store or an engine, they ask for ``RegistryDep``, ``TelemetryDep`` ... instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from lifeline.payloads import AlertEvent
from lifeline.ports import AlertActions, AlertStore, Clock, DeadLetterStore, TelemetryStore
from lifeline.registry import Registry

__all__ = [
    "MAX_LIMIT",
    "ActionsDep",
    "AlertStoreDep",
    "ApiDeps",
    "ClockDep",
    "ComponentHealth",
    "DeadLettersDep",
    "Deps",
    "HealthCheck",
    "HealthReport",
    "LiveFeed",
    "PageDep",
    "PageParams",
    "RegistryDep",
    "TelemetryDep",
]

MAX_LIMIT = 1000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """Health of one component (store, broker connection, engine ...)."""

    ok: bool
    detail: str = ""


HealthReport = Mapping[str, ComponentHealth]
HealthCheck = Callable[[], HealthReport | Awaitable[HealthReport]]
LiveFeed = Callable[[], AsyncIterator[AlertEvent]]
"""Called once per stream client; yields every alert state change. When the client
goes away the iterator is released with ``aclose()`` or, failing that, ``close()``."""


def _no_components() -> HealthReport:
    return {}


@dataclass(frozen=True, slots=True)
class ApiDeps:
    """Everything the API reads from or acts on; built by the process that serves it."""

    registry: Registry
    telemetry: TelemetryStore
    alerts: AlertStore
    actions: AlertActions
    deadletters: DeadLetterStore
    clock: Clock
    live: LiveFeed | None = None
    health: HealthCheck = _no_components


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int

    def slice(self, items: list[T]) -> list[T]:
        return items[self.offset : self.offset + self.limit]


def get_deps(request: Request) -> ApiDeps:
    deps = request.app.state.deps
    if not isinstance(deps, ApiDeps):  # pragma: no cover - create_app always sets it
        raise RuntimeError("app.state.deps is not an ApiDeps; build the app with create_app")
    return deps


Deps = Annotated[ApiDeps, Depends(get_deps)]


def _registry(deps: Deps) -> Registry:
    return deps.registry


def _telemetry(deps: Deps) -> TelemetryStore:
    return deps.telemetry


def _alerts(deps: Deps) -> AlertStore:
    return deps.alerts


def _actions(deps: Deps) -> AlertActions:
    return deps.actions


def _deadletters(deps: Deps) -> DeadLetterStore:
    return deps.deadletters


def _clock(deps: Deps) -> Clock:
    return deps.clock


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 100,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit, offset)


RegistryDep = Annotated[Registry, Depends(_registry)]
TelemetryDep = Annotated[TelemetryStore, Depends(_telemetry)]
AlertStoreDep = Annotated[AlertStore, Depends(_alerts)]
ActionsDep = Annotated[AlertActions, Depends(_actions)]
DeadLettersDep = Annotated[DeadLetterStore, Depends(_deadletters)]
ClockDep = Annotated[Clock, Depends(_clock)]
PageDep = Annotated[PageParams, Depends(_page)]
