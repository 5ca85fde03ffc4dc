"""An app over the real SQLite stores (in tmp_path) and the real AlertEngine, with a
hand-moved clock and an httpx client on the ASGI transport, authenticated as an
operator (``env.client``); ``env.client_as(role)`` gives clients of other roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from alerts import AlertEngine, AlertMetrics, BroadcastNotifier, load_rules
from api import ApiDeps, ComponentHealth, create_app
from api.deps import AuthOptions
from lifeline.core.identity import Role
from lifeline.core.records import Record
from lifeline.core.registry import Registry
from lifeline.seed import generate_registry
from store import (
    SqliteAlertStore,
    SqliteAuthStore,
    SqliteDeadLetterStore,
    SqliteMaintenanceStore,
    SqliteRegistryStore,
    SqliteRuleSetStore,
    SqliteTelemetryStore,
)
from tests.api.factories import FixedClock, issue_token


@dataclass
class Env:
    client: httpx.AsyncClient
    deps: ApiDeps
    registry: Registry
    telemetry: SqliteTelemetryStore
    alerts: SqliteAlertStore
    deadletters: SqliteDeadLetterStore
    engine: AlertEngine
    broadcast: BroadcastNotifier
    clock: FixedClock
    auth: SqliteAuthStore
    transport: httpx.ASGITransport
    health: dict[str, ComponentHealth] = field(default_factory=dict)

    async def client_as(
        self,
        role: Role,
        name: str | None = None,
        *,
        crew_id: str | None = None,
        utility_id: str | None = None,
    ) -> httpx.AsyncClient:
        """A client with a fresh token of an account of ``role`` (closed with the env)."""
        token = await issue_token(
            self.auth, name or f"test-{role.value}", role, crew_id=crew_id, utility_id=utility_id
        )
        client = httpx.AsyncClient(
            transport=self.transport,
            base_url="http://api",
            headers={"Authorization": f"Bearer {token}"},
        )
        self._extra.append(client)
        return client

    def anonymous(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=self.transport, base_url="http://api")
        self._extra.append(client)
        return client

    _extra: list[httpx.AsyncClient] = field(default_factory=list)

    async def ingest(self, records: list[Record]) -> None:
        """What the ingester does with accepted records: store, then evaluate."""
        await self.telemetry.write(records)
        await self.engine.accept(records)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return generate_registry(20230701, 10_000)


@pytest.fixture
async def env(tmp_path: Path, registry: Registry) -> AsyncIterator[Env]:
    clock = FixedClock()
    telemetry = SqliteTelemetryStore(tmp_path / "telemetry.db")
    alert_store = SqliteAlertStore(tmp_path / "lifeline.db")
    deadletters = SqliteDeadLetterStore(tmp_path / "lifeline.db")
    broadcast = BroadcastNotifier()
    engine = AlertEngine(
        load_rules(),
        registry,
        alert_store,
        [broadcast],
        clock,
        metrics=AlertMetrics(CollectorRegistry()),
    )
    await engine.start()
    health: dict[str, ComponentHealth] = {"store": ComponentHealth(True, "sqlite")}
    auth = SqliteAuthStore(tmp_path / "lifeline.db")
    registry_store = SqliteRegistryStore(tmp_path / "lifeline.db")
    maintenance = SqliteMaintenanceStore(tmp_path / "lifeline.db")
    rule_sets = SqliteRuleSetStore(tmp_path / "lifeline.db")
    deps = ApiDeps(
        registry=registry,
        telemetry=telemetry,
        alerts=alert_store,
        actions=engine,
        deadletters=deadletters,
        clock=clock,
        live=broadcast.subscribe,
        health=lambda: health,
        auth=auth,
        auth_options=AuthOptions(now_ms=clock.now_ms),
        registry_store=registry_store,
        maintenance=maintenance,
        rule_sets=rule_sets,
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    token = await issue_token(auth, "op-test", Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        env = Env(
            client, deps, registry, telemetry, alert_store, deadletters, engine, broadcast,
            clock, auth, transport, health,
        )  # fmt: skip
        yield env
        for extra in env._extra:
            await extra.aclose()
    for store in (
        telemetry,
        alert_store,
        deadletters,
        auth,
        registry_store,
        maintenance,
        rule_sets,
    ):
        await store.close()
