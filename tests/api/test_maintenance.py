"""``/api/v1/maintenance``: windows planned, moved and cancelled (audited before/after),
listed by state, and shown on the sources they cover."""

from __future__ import annotations

import json

from lifeline.core.identity import AuditQuery, Role
from tests.api.conftest import Env
from tests.api.factories import HOUR, NOW_MS


async def _plan(env: Env, target: str, start: int, end: int) -> dict[str, object]:
    admin = await env.client_as(Role.ADMIN, "admin1")
    body = {"target_id": target, "start": start, "end": end, "reason": "换阀门"}
    response = await admin.post("/api/v1/maintenance", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def test_a_window_is_planned_ahead_listed_and_audited(env: Env) -> None:
    created = await _plan(env, "HEAT-001", NOW_MS + HOUR, NOW_MS + 3 * HOUR)
    assert created["status"] == "scheduled"
    assert (created["target_kind"], created["created_by"]) == ("enterprise", "admin1")
    assert created["start"] == "2026-01-15T03:00:00.000Z"
    upcoming = (await env.client.get("/api/v1/maintenance", params={"upcoming": True})).json()
    assert [w["id"] for w in upcoming["items"]] == [created["id"]]
    assert (await env.client.get("/api/v1/maintenance", params={"active": True})).json()[
        "total"
    ] == 0
    [entry] = await env.auth.audit(AuditQuery(kind="maintenance"))
    assert (entry.actor, entry.action, entry.target) == ("admin1", "create", "maintenance/1")
    detail = json.loads(entry.detail or "")
    assert detail["before"] is None
    assert detail["after"]["target_id"] == "HEAT-001"


async def test_an_active_window_shows_on_its_sources_and_the_stations_of_an_enterprise(
    env: Env,
) -> None:
    window = await _plan(env, "HEAT-001", NOW_MS - HOUR, NOW_MS + HOUR)
    await _plan(env, "GAS-0002", NOW_MS - HOUR, NOW_MS + 2 * HOUR)
    assert window["status"] == "active"
    channels = (await env.client.get("/api/v1/channels", params={"limit": 3})).json()["items"]
    assert [c["maintenance"] and c["maintenance"]["id"] for c in channels] == [None, 2, None]
    one = (await env.client.get("/api/v1/channels/GAS-0002")).json()
    assert one["maintenance"]["reason"] == "换阀门"
    station = (await env.client.get("/api/v1/stations/HEAT-001-S01")).json()
    assert station["maintenance"]["target_id"] == "HEAT-001"
    enterprise = (await env.client.get("/api/v1/enterprises/HEAT-001")).json()
    assert enterprise["maintenance"]["id"] == window["id"]
    assert {s["maintenance"]["id"] for s in enterprise["stations"]} == {window["id"]}
    listed = (await env.client.get("/api/v1/enterprises", params={"limit": 2})).json()["items"]
    assert [e["maintenance"] is not None for e in listed] == [True, False]
    active = (await env.client.get("/api/v1/maintenance", params={"active": True})).json()
    assert active["total"] == 2


async def test_moving_and_cancelling_are_audited_and_a_cancelled_window_is_kept(
    env: Env,
) -> None:
    window = await _plan(env, "GAS-0001", NOW_MS + HOUR, NOW_MS + 2 * HOUR)
    admin = await env.client_as(Role.ADMIN, "admin1")
    url = f"/api/v1/maintenance/{window['id']}"
    moved = await env.client.patch(url, json={"end": "2026-01-15T06:00:00+08:00"})
    assert moved.status_code == 422  # before the start
    moved = await env.client.patch(url, json={"end": "2026-01-15T14:00:00+08:00"})
    assert moved.json()["end_ms"] == NOW_MS + 4 * HOUR
    assert moved.json()["updated_by"] == "op-test"
    cancelled = await admin.delete(url)
    assert cancelled.json()["status"] == "cancelled"
    assert (await admin.delete(url)).status_code == 409
    assert (await env.client.patch(url, json={"reason": "x"})).status_code == 409
    assert (await env.client.get("/api/v1/maintenance")).json()["total"] == 0
    kept = await env.client.get("/api/v1/maintenance", params={"include_cancelled": True})
    assert kept.json()["total"] == 1
    actions = [e.action for e in await env.auth.audit(AuditQuery(kind="maintenance"))]
    assert actions == ["cancel", "update", "create"]


async def test_bad_windows_are_refused(env: Env) -> None:
    post = env.client.post
    base = {"target_id": "GAS-0001", "start": NOW_MS, "end": NOW_MS + HOUR, "reason": "r"}
    assert (
        await post("/api/v1/maintenance", json={**base, "target_id": "NOPE"})
    ).status_code == 422
    assert (await post("/api/v1/maintenance", json={**base, "end": NOW_MS - 1})).status_code == 422
    past = {**base, "start": NOW_MS - 2 * HOUR, "end": NOW_MS - HOUR}
    assert (await post("/api/v1/maintenance", json=past)).status_code == 422
    long = {**base, "end": NOW_MS + 91 * 24 * HOUR}
    assert (await post("/api/v1/maintenance", json=long)).status_code == 422
    assert (
        await post("/api/v1/maintenance", json={**base, "start": "tomorrow"})
    ).status_code == 422
    assert (await env.client.get("/api/v1/maintenance/99")).status_code == 404
    utility = await env.client_as(Role.UTILITY, utility_id="gas-huarun")
    assert (await utility.post("/api/v1/maintenance", json=base)).status_code == 403
