"""Every route × every role, generated from the app's own routes: no token → 401, a role
outside the route's rule → 403. A route without a rule in ``api.auth.policy`` fails here."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.routing import APIRoute

from api.auth.policy import ACCESS, PUBLIC, rule_for
from lifeline.core.identity import Role
from tests.api.conftest import Env
from tests.api.factories import raise_alert

SAMPLES = {
    "channel_id": "GAS-0001",
    "enterprise_id": "HEAT-001",
    "station_id": "HEAT-001-S01",
    "meter_id": "MTR-00000001",
    "source_id": "GAS-0001",
    "username": "op-test",
    "key_id": "999999",
    "receiver": "duty",
    "window_id": "1",
}
BODIES: dict[str, dict[str, Any]] = {
    "POST": {},
    "PUT": {"name": "renamed"},
    "PATCH": {},
}
STREAM = "/api/v1/alerts/stream"


def _walk(routes: list[Any]) -> list[tuple[str, str]]:
    """(method, path) of every APIRoute; FastAPI ≥ 0.16x keeps included routers nested
    (our routers carry their full prefix and are included without one)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found += [(method, route.path) for method in sorted(route.methods or ())]
        elif (router := getattr(route, "original_router", None)) is not None:
            found += _walk(router.routes)
    return found


def _routes(env: Env) -> list[tuple[str, str]]:
    return _walk(env.transport.app.routes)  # type: ignore[attr-defined]


def _url(path: str, alert_id: int) -> str:
    values = {**SAMPLES, "alert_id": str(alert_id)}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


async def _call(client: httpx.AsyncClient, method: str, url: str) -> httpx.Response:
    return await client.request(method, url, json=BODIES.get(method))


async def test_every_route_has_an_access_rule(env: Env) -> None:
    routes = _routes(env)
    assert len(routes) > 30
    missing = [r for r in routes if rule_for(*r) is None]
    assert missing == [], f"routes without a rule in api/auth/policy.py: {missing}"
    stale = set(ACCESS) - set(routes)
    assert stale == set(), f"rules for routes that do not exist: {stale}"


async def test_no_token_is_401_on_every_non_public_route(env: Env) -> None:
    alert = await raise_alert(env.alerts, "GAS-0001")
    anonymous = env.anonymous()
    checked = 0
    for method, path in _routes(env):
        response = await _call(anonymous, method, _url(path, alert.id))
        if rule_for(method, path) == PUBLIC:
            assert response.status_code != 401, (method, path)
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        checked += 1
    assert checked > 30


async def test_a_bad_token_is_401_like_none(env: Env) -> None:
    bad = env.anonymous()
    bad.headers["Authorization"] = "Bearer llk_not-a-real-token"
    assert (await bad.get("/api/v1/channels")).status_code == 401
    bad.headers["Authorization"] = "Basic dXNlcjpwYXNz"
    assert (await bad.get("/api/v1/channels")).status_code == 401


async def test_roles_outside_a_routes_rule_get_403_and_staff_inside_never_do(env: Env) -> None:
    alert = await raise_alert(env.alerts, "GAS-0001")
    clients = {
        Role.ADMIN: await env.client_as(Role.ADMIN),
        Role.OPERATOR: env.client,
        Role.CREW: await env.client_as(Role.CREW, crew_id="crew-01"),
        Role.UTILITY: await env.client_as(Role.UTILITY, utility_id="gas-huarun"),
    }
    forbidden = 0
    for method, path in _routes(env):
        rule = rule_for(method, path)
        assert rule is not None
        if rule == PUBLIC or (path == STREAM and method == "GET"):
            continue  # the stream never ends for an allowed role; see test_auth_scope
        for role, client in clients.items():
            response = await _call(client, method, _url(path, alert.id))
            if role not in rule:
                assert response.status_code == 403, (role, method, path, response.text)
                forbidden += 1
            else:
                assert response.status_code != 401, (role, method, path)
                if role in (Role.ADMIN, Role.OPERATOR):
                    assert response.status_code != 403, (role, method, path, response.text)
    assert forbidden > 30


async def test_the_stream_needs_a_token_and_takes_it_as_a_query_parameter_only_there(
    env: Env,
) -> None:
    anonymous = env.anonymous()
    assert (await anonymous.get(STREAM)).status_code == 401
    token = env.client.headers["Authorization"].removeprefix("Bearer ")
    # elsewhere a token in the URL is not accepted
    assert (
        await anonymous.get("/api/v1/channels", params={"access_token": token})
    ).status_code == 401
