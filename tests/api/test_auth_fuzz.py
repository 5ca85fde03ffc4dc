"""Schemathesis fuzz of the whole API (from its OpenAPI document), in process, as an
operator with an API key: no generated request may produce a server error (5xx).

The app and its real stores live on one event loop in a background thread (an anyio
blocking portal), because schemathesis drives hypothesis synchronously. The live stream
is left out (it never ends); examples per operation are bounded to keep this < 60 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import anyio.from_thread
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from prometheus_client import CollectorRegistry

from alerts import AlertEngine, AlertMetrics, BroadcastNotifier, load_rules
from api import ApiDeps, create_app
from api.deps import AuthOptions
from lifeline.core.identity import Role
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
from tests.api.factories import FixedClock, gas, issue_token


def _openapi() -> dict[str, Any]:
    placeholder = cast(Any, object())
    deps = ApiDeps(
        registry=placeholder, telemetry=placeholder, alerts=placeholder, actions=placeholder,
        deadletters=placeholder, clock=placeholder, auth=placeholder,
    )  # fmt: skip
    return create_app(deps).openapi()


schema = schemathesis.openapi.from_dict(_openapi()).exclude(path="/api/v1/alerts/stream")


@dataclass
class Fuzzed:
    portal: anyio.from_thread.BlockingPortal
    client: httpx.AsyncClient
    token: str


async def _build(directory: Path, registry: Registry) -> tuple[httpx.AsyncClient, str, list[Any]]:
    clock = FixedClock()
    db = directory / "lifeline.db"
    telemetry = SqliteTelemetryStore(directory / "telemetry.db")
    alerts, auth = SqliteAlertStore(db), SqliteAuthStore(db)
    deadletters, registry_store = SqliteDeadLetterStore(db), SqliteRegistryStore(db)
    maintenance, rule_sets = SqliteMaintenanceStore(db), SqliteRuleSetStore(db)
    engine = AlertEngine(
        load_rules(), registry, alerts, [BroadcastNotifier()], clock,
        metrics=AlertMetrics(CollectorRegistry()),
    )  # fmt: skip
    await engine.start()
    records = [gas(f"GAS-{n:04d}", clock.now - 60_000, 60.0) for n in range(1, 6)]
    await telemetry.write(records)
    await engine.accept(records)  # a few open alerts for the id-taking routes
    deps = ApiDeps(
        registry=registry, telemetry=telemetry, alerts=alerts, actions=engine,
        deadletters=deadletters, clock=clock, auth=auth,
        auth_options=AuthOptions(now_ms=clock.now_ms), registry_store=registry_store,
        maintenance=maintenance, rule_sets=rule_sets,
    )  # fmt: skip
    token = await issue_token(auth, "fuzz-operator", Role.OPERATOR)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(deps)))
    stores = [telemetry, alerts, auth, deadletters, registry_store, maintenance, rule_sets]
    return client, token, stores


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    registry = generate_registry(20230701, 200)
    with anyio.from_thread.start_blocking_portal() as portal:
        client, token, stores = portal.call(_build, tmp_path_factory.mktemp("fuzz"), registry)
        yield Fuzzed(portal, client, token)
        portal.call(client.aclose)
        for store in stores:
            portal.call(store.close)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzzed_requests_never_get_a_server_error(case: Any, fuzzed: Fuzzed) -> None:
    kwargs = case.as_transport_kwargs(
        base_url="http://api", headers={"Authorization": f"Bearer {fuzzed.token}"}
    )
    response = fuzzed.portal.call(_send, fuzzed.client, kwargs)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)


async def _send(client: httpx.AsyncClient, kwargs: dict[str, Any]) -> httpx.Response:
    if "data" in kwargs and isinstance(kwargs["data"], str | bytes):
        kwargs["content"] = kwargs.pop("data")
    kwargs = {k: v for k, v in kwargs.items() if k in _HTTPX_ARGS}
    return await client.request(**kwargs)


_HTTPX_ARGS = {"method", "url", "params", "headers", "json", "content", "files"}
