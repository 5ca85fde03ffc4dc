"""/healthz, /metrics and the OpenAPI document."""

from __future__ import annotations

import dataclasses

import httpx
from prometheus_client import CollectorRegistry

from api import ComponentHealth, create_app
from api.deps import HealthReport
from tests.api.conftest import Env


async def test_healthz_is_200_when_every_component_is_ok(env: Env) -> None:
    env.health["broker"] = ComponentHealth(True, "connected")
    response = await env.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": {
            "store": {"ok": True, "detail": "sqlite"},
            "broker": {"ok": True, "detail": "connected"},
        },
    }


async def test_healthz_is_503_when_a_component_reports_down(env: Env) -> None:
    env.health["broker"] = ComponentHealth(False, "connection refused")
    response = await env.client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["broker"] == {"ok": False, "detail": "connection refused"}


async def test_healthz_accepts_an_async_check_and_a_failing_one_is_503(env: Env) -> None:
    async def async_check() -> HealthReport:
        return {"engine": ComponentHealth(True)}

    def broken_check() -> HealthReport:
        raise RuntimeError("boom")

    for check, status in ((async_check, 200), (broken_check, 503)):
        app = create_app(dataclasses.replace(env.deps, health=check))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            response = await client.get("/healthz")
        assert response.status_code == status


async def test_metrics_is_prometheus_text_with_request_counts_by_route(env: Env) -> None:
    await env.client.get("/api/v1/channels/GAS-0001")
    await env.client.get("/api/v1/channels/GAS-9999")
    response = await env.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE lifeline_api_requests_total counter" in text
    assert "# TYPE lifeline_api_request_seconds histogram" in text
    route = 'route="/api/v1/channels/{channel_id}"'
    assert f'lifeline_api_requests_total{{method="GET",{route},status="200"}}' in text
    assert f'lifeline_api_requests_total{{method="GET",{route},status="404"}}' in text
    assert "GAS-9999" not in text  # raw paths never become labels


async def test_request_metrics_go_to_the_registry_the_app_is_built_with(env: Env) -> None:
    registry = CollectorRegistry()
    app = create_app(dataclasses.replace(env.deps, metrics_registry=registry))
    headers = {"Authorization": env.client.headers["Authorization"]}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as client:
        assert (await client.get("/api/v1/channels/GAS-0001")).status_code == 200
        labels = {"method": "GET", "route": "/api/v1/channels/{channel_id}", "status": "200"}
        assert registry.get_sample_value("lifeline_api_requests_total", labels) == 1.0
        text = (await client.get("/metrics")).text
    assert 'route="/api/v1/channels/{channel_id}",status="200"} 1.0' in text
    assert "lifeline_alerts_open" not in text  # only what was registered on this registry


async def test_unmatched_paths_are_counted_under_one_label(env: Env) -> None:
    assert (await env.client.get("/api/v1/nothing/here")).status_code == 404
    text = (await env.client.get("/metrics")).text
    assert 'route="unmatched",status="404"' in text
    assert "/nothing/here" not in text


async def test_openapi_document_builds_and_lists_every_resource(env: Env) -> None:
    response = await env.client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/channels",
        "/api/v1/channels/{channel_id}",
        "/api/v1/enterprises/{enterprise_id}",
        "/api/v1/stations/{station_id}",
        "/api/v1/meters/{meter_id}",
        "/api/v1/series/{source_id}",
        "/api/v1/series/{source_id}/metrics",
        "/api/v1/series/{source_id}/events",
        "/api/v1/alerts",
        "/api/v1/alerts/stream",
        "/api/v1/alerts/{alert_id}/shelve",
        "/api/v1/alerts/{alert_id}/return_to_service",
        "/api/v1/rejects/summary",
        "/healthz",
        "/metrics",
    ):
        assert path in paths, path
    shelve = paths["/api/v1/alerts/{alert_id}/shelve"]["post"]
    assert shelve["requestBody"]["required"] is True
    assert (await env.client.get("/docs")).status_code == 200


async def test_livez_is_200_while_readiness_is_503_on_the_api_and_the_ops_app(env: Env) -> None:
    from api.ops import create_ops_app

    env.health["store"] = ComponentHealth(False, "store unavailable; spooling")
    ops = create_ops_app(lambda: env.health, "lifeline ingest")
    transport = httpx.ASGITransport(app=ops)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as worker:
        for client in (env.client, worker):
            assert (await client.get("/readyz")).status_code == 503
            assert (await client.get("/healthz")).status_code == 503
            live = await client.get("/livez")
            assert (live.status_code, live.json()) == (200, {"status": "alive"})
