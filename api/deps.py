"""What the API needs from the rest of Lifeline (:class:`ApiDeps`) and the typed
FastAPI dependencies route handlers declare to receive it.

``create_app`` puts one :class:`ApiDeps` on ``app.state``; handlers never import a
store or an engine, they ask for ``RegistryDep``, ``TelemetryDep`` ... instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from prometheus_client import CollectorRegistry

from alerts.rule_documents import RulesInUse
from alerts.rules import RuleSet, load_rules
from api.metrics import ApiMetrics
from lifeline.core.identity import LoginPolicy
from lifeline.core.payloads import AlertEvent
from lifeline.core.ports import (
    AlertActions,
    AlertStore,
    AuthStore,
    Clock,
    DeadLetterStore,
    FeedClock,
    MaintenanceStore,
    NotifyView,
    RegistryStore,
    RuleSetStore,
    TelemetryStore,
)
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms

__all__ = [
    "MAX_LIMIT",
    "ActionsDep",
    "AlertStoreDep",
    "ApiDeps",
    "AuthOptions",
    "AuthStoreDep",
    "ClockDep",
    "ComponentHealth",
    "DeadLettersDep",
    "Deps",
    "HealthCheck",
    "HealthReport",
    "LiveFeed",
    "MetricsDep",
    "PageDep",
    "PageParams",
    "RegistryDep",
    "RulesDep",
    "SourceNow",
    "SourceNowDep",
    "TelemetryDep",
]

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000  # far past any list, inside SQLite's 64-bit integers

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
class AuthOptions:
    """Login settings: token lifetime, failed-login limit, and the wall clock that
    expires tokens (never the event clock of the displays)."""

    session_ms: int = 12 * 3600 * 1000
    login_failures_per_minute: int = 5
    now_ms: Callable[[], int] = now_ms

    @property
    def login_policy(self) -> LoginPolicy:
        """Password checks per (client address, user name): this many a minute, the
        window doubling (to 1 h) after each window that filled up."""
        return LoginPolicy(limit=self.login_failures_per_minute)


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
    rules: RuleSet | None = None
    """The rules the engine runs (for set-points on charts); None = the shipped defaults."""
    auth: AuthStore | None = None
    """Accounts, credentials and the audit log; required (create_app refuses None)."""
    auth_options: AuthOptions = field(default_factory=AuthOptions)
    registry_store: RegistryStore | None = None
    """Where administrators' registry edits are saved; None = the registry is read-only."""
    feeds: FeedClock | None = None
    """Each source's "now" (its own feed's event time, for offline / on-line); None =
    ``clock.now_ms()`` for every source."""
    metrics_registry: CollectorRegistry | None = None
    """Where the request metrics are registered and what ``/metrics`` shows; None =
    prometheus_client's process-wide registry."""
    notify: NotifyView | None = None
    """The notification centre (receivers, routes, tests, history); None = no
    notification file: alerts leave only by MQTT and the live stream."""
    maintenance: MaintenanceStore | None = None
    """Maintenance windows; None = none can be planned (``/maintenance`` answers 503)."""
    maintenance_changed: Callable[[], None] | None = None
    """Called after a window is saved: the rule engine of this process refreshes its
    schedule at once (others poll the store)."""
    rule_sets: RuleSetStore | None = None
    """Where administrators' rule edits are saved; None = rules are read-only."""
    rules_in_use: RulesInUse | None = None
    """The rules document this process loaded and its origin (file or saved version);
    None = the shipped defaults."""


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


def _metrics(request: Request) -> ApiMetrics:
    metrics = request.app.state.metrics
    if not isinstance(metrics, ApiMetrics):  # pragma: no cover - create_app always sets it
        raise RuntimeError("app.state.metrics is not an ApiMetrics; build the app with create_app")
    return metrics


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


SourceNow = Callable[[str], int]
"""``now(source_id)``: the event-time "now" a source's silence is measured against."""


def _source_now(deps: Deps) -> SourceNow:
    if deps.feeds is not None:
        return deps.feeds.now_of
    now = deps.clock.now_ms()
    return lambda _source_id: now


def _auth(deps: Deps) -> AuthStore:
    if deps.auth is None:  # pragma: no cover - create_app refuses to build without one
        raise RuntimeError("ApiDeps.auth is not set")
    return deps.auth


def _rules(request: Request, deps: Deps) -> RuleSet:
    if deps.rules is not None:
        return deps.rules
    cached = getattr(request.app.state, "default_rules", None)
    if not isinstance(cached, RuleSet):
        cached = load_rules()
        request.app.state.default_rules = cached
    return cached


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit, offset)


RegistryDep = Annotated[Registry, Depends(_registry)]
TelemetryDep = Annotated[TelemetryStore, Depends(_telemetry)]
AlertStoreDep = Annotated[AlertStore, Depends(_alerts)]
ActionsDep = Annotated[AlertActions, Depends(_actions)]
DeadLettersDep = Annotated[DeadLetterStore, Depends(_deadletters)]
ClockDep = Annotated[Clock, Depends(_clock)]
SourceNowDep = Annotated[SourceNow, Depends(_source_now)]
RulesDep = Annotated[RuleSet, Depends(_rules)]
AuthStoreDep = Annotated[AuthStore, Depends(_auth)]
PageDep = Annotated[PageParams, Depends(_page)]
MetricsDep = Annotated[ApiMetrics, Depends(_metrics)]
