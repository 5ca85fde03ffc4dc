"""What a crew and a utility see and may do within the routes their role allows."""

from __future__ import annotations

import asyncio

import msgspec

from lifeline.core.identity import Role
from lifeline.core.payloads import AlertEvent
from tests.api.conftest import Env
from tests.api.factories import raise_alert

# seed 20230701: which utility owns what is read from the registry, not assumed


async def _assigned(env: Env, source: str, crew: str) -> int:
    alert = await raise_alert(env.alerts, source)
    response = await env.client.post(f"/api/v1/alerts/{alert.id}/assign", json={"assignee": crew})
    assert response.status_code == 200
    return alert.id


async def test_crew_cannot_ack_or_resolve_an_incident_assigned_to_another_crew(env: Env) -> None:
    mine = await _assigned(env, "GAS-0001", "crew-01")
    theirs = await _assigned(env, "GAS-0002", "crew-02")
    crew = await env.client_as(Role.CREW, "crew01", crew_id="crew-01")
    for action, body in (("ack", {}), ("close", {"cause": "false_alarm"})):
        refused = await crew.post(f"/api/v1/alerts/{theirs}/{action}", json=body)
        assert refused.status_code == 403, action
    assert (await env.alerts.get(theirs)).state.value == "active_unacked"  # type: ignore[union-attr]
    assert (await crew.get(f"/api/v1/alerts/{theirs}")).status_code == 403
    arrived = await crew.post(f"/api/v1/alerts/{mine}/ack", json={"actor": "someone-else"})
    assert (arrived.status_code, arrived.json()["acked_by"]) == (200, "crew01")
    resolved = await crew.post(f"/api/v1/alerts/{mine}/close", json={"cause": "real_leak"})
    assert (resolved.json()["state"], resolved.json()["cause"]) == ("closed", "real_leak")
    for other in ("shelve", "assign", "out_of_service"):
        assert (await crew.post(f"/api/v1/alerts/{mine}/{other}", json={})).status_code == 403


async def test_crew_lists_only_its_incidents_and_sees_only_their_places(env: Env) -> None:
    await _assigned(env, "GAS-0001", "crew-01")
    await _assigned(env, "GAS-0002", "crew-02")
    await raise_alert(env.alerts, "GAS-0003")
    crew = await env.client_as(Role.CREW, "crew01", crew_id="crew-01")
    listed = (await crew.get("/api/v1/alerts")).json()
    assert [a["source_id"] for a in listed["items"]] == ["GAS-0001"]
    other = await crew.get("/api/v1/alerts", params={"assigned_to": "crew-02"})
    assert other.json() == {"items": [], "total": 0}
    assert (await crew.get("/api/v1/channels/GAS-0001")).status_code == 200
    assert (await crew.get("/api/v1/channels/GAS-0002")).status_code == 403
    assert (await crew.get("/api/v1/channels")).status_code == 403
    assert (await crew.get("/api/v1/series/GAS-0001")).status_code == 403


async def test_utility_sees_only_its_own_channels_meters_stations_and_alerts(env: Env) -> None:
    utility = "gas-huarun"
    own_channel = next(c.id for c in env.registry.channels.values() if c.owner == utility)
    foreign_channel = next(c.id for c in env.registry.channels.values() if c.owner != utility)
    foreign_meter = next(m.id for m in env.registry.meters.values() if m.owner != utility)
    await raise_alert(env.alerts, own_channel)
    await raise_alert(env.alerts, foreign_channel)
    # the engine stamps utility_id; raise_alert does not, so set it as the engine would
    for alert in await env.alerts.open_alerts():
        owner = env.registry.owner_of(alert.source_id)
        await env.alerts.save(msgspec.structs.replace(alert, utility_id=owner), None)
    client = await env.client_as(Role.UTILITY, "huarun", utility_id=utility)

    channels = (await client.get("/api/v1/channels", params={"limit": 1000})).json()
    expected = sum(1 for c in env.registry.channels.values() if c.owner == utility)
    assert channels["total"] == expected > 0
    assert {c["owner"] for c in channels["items"]} == {utility}
    meters = (await client.get("/api/v1/meters", params={"limit": 1000})).json()
    assert meters["total"] > 0
    assert {m["owner"] for m in meters["items"]} == {utility}
    stations = (await client.get("/api/v1/stations")).json()
    assert stations["total"] == 0  # a gas utility owns no heating enterprise
    assert (await client.get("/api/v1/enterprises")).json()["total"] == 0
    alerts = (await client.get("/api/v1/alerts")).json()
    assert [a["source_id"] for a in alerts["items"]] == [own_channel]
    asked = await client.get("/api/v1/alerts", params={"utility": "gas-ganghua"})
    assert asked.json()["total"] == 0

    assert (await client.get(f"/api/v1/channels/{own_channel}")).status_code == 200
    assert (await client.get(f"/api/v1/channels/{foreign_channel}")).status_code == 403
    assert (await client.get(f"/api/v1/meters/{foreign_meter}")).status_code == 403
    assert (await client.get(f"/api/v1/series/{foreign_channel}")).status_code == 403
    foreign_alert = next(
        a for a in await env.alerts.open_alerts() if a.source_id == foreign_channel
    )
    assert (await client.get(f"/api/v1/alerts/{foreign_alert.id}")).status_code == 403
    assert (await client.post(f"/api/v1/alerts/{foreign_alert.id}/ack")).status_code == 403


async def test_heating_utility_sees_its_enterprise_and_its_stations(env: Env) -> None:
    enterprise = env.registry.enterprises["HEAT-001"]
    client = await env.client_as(Role.UTILITY, "heat1", utility_id=enterprise.owner)
    listed = (await client.get("/api/v1/enterprises")).json()
    assert [e["id"] for e in listed["items"]] == ["HEAT-001"]
    stations = (await client.get("/api/v1/stations", params={"limit": 1000})).json()
    assert {s["enterprise_id"] for s in stations["items"]} == {"HEAT-001"}
    assert (await client.get("/api/v1/enterprises/HEAT-002")).status_code == 403
    assert (await client.get("/api/v1/stations/HEAT-002-S01")).status_code == 403


async def test_live_feed_of_a_crew_carries_only_its_incidents(env: Env) -> None:
    from api.auth.principal import Principal
    from api.auth.scope import filtered_feed
    from lifeline.core.identity import CredentialKind

    mine = await _assigned(env, "GAS-0001", "crew-01")
    theirs = await _assigned(env, "GAS-0002", "crew-02")
    principal = Principal("crew01", Role.CREW, 1, CredentialKind.SESSION, crew_id="crew-01")
    with env.broadcast.subscribe() as events:
        feed = filtered_feed(events, principal, env.alerts)
        for alert_id in (theirs, mine):
            await env.client.post(f"/api/v1/alerts/{alert_id}/ack")
        first: AlertEvent = await asyncio.wait_for(anext(feed), 5)
        await feed.aclose()  # type: ignore[attr-defined]
    assert first.id == mine
