"""An app over the real SQLite stores (in tmp_path) and the real AlertEngine, with a
hand-moved clock and an httpx client on the ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from alerts import AlertEngine, AlertMetrics, BroadcastNotifier, load_rules
from api import ApiDeps, ComponentHealth, create_app
from lifeline.records import Record
from lifeline.registry import Registry
from lifeline.seed import generate_registry
from store import SqliteAlertStore, SqliteDeadLetterStore, SqliteTelemetryStore
from tests.api.factories import FixedClock


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
    health: dict[str, ComponentHealth] = field(default_factory=dict)

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
    deps = ApiDeps(
        registry=registry,
        telemetry=telemetry,
        alerts=alert_store,
        actions=engine,
        deadletters=deadletters,
        clock=clock,
        live=broadcast.subscribe,
        health=lambda: health,
    )
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield Env(
            client, deps, registry, telemetry, alert_store, deadletters, engine, broadcast,
            clock, health,
        )  # fmt: skip
    for store in (telemetry, alert_store, deadletters):
        await store.close()
