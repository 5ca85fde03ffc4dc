"""/api/v1/alerts: listing and filters, detail with audit trail, operator actions.

Alerts are raised the real way: records go to the telemetry store and the AlertEngine.
"""

from __future__ import annotations

import pytest

from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import GasEventType
from tests.api.conftest import Env
from tests.api.factories import MINUTE, NOW_MS, gas, gas_event, raise_alert


async def _leak(env: Env, channel: str, lel: float = 60.0, ts_ms: int = NOW_MS - MINUTE) -> int:
    """Raise gas_leak on ``channel`` through the engine; return the alert id."""
    await env.ingest([gas(channel, ts_ms, lel)])
    alert = await env.alerts.find_open(channel, "gas_leak")
    assert alert is not None
    return alert.id


async def test_leak_raised_by_the_engine_is_listed_with_contract_fields(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0001", lel=62.5)
    body = (await env.client.get("/api/v1/alerts")).json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["id"] == alert_id
    assert (item["source_id"], item["source_kind"], item["rule"]) == (
        "GAS-0001",
        "gas_channel",
        "gas_leak",
    )
    assert (item["severity"], item["state"], item["category"]) == (
        "critical",
        "active_unacked",
        "alarm",
    )
    assert item["value"] == 62.5
    assert item["raised_at_ms"] == NOW_MS - MINUTE
    assert item["raised_at"] == "2026-01-15T01:59:00.000Z"


async def test_list_is_newest_first_and_paginated_with_total(env: Env) -> None:
    ids = [await _leak(env, f"GAS-{n:04d}", ts_ms=NOW_MS - (10 - n) * MINUTE) for n in range(1, 6)]
    page = (await env.client.get("/api/v1/alerts", params={"limit": 2, "offset": 1})).json()
    assert page["total"] == 5
    assert [a["id"] for a in page["items"]] == [ids[3], ids[2]]


async def test_filters_state_severity_kind_source_rule_district_enterprise(env: Env) -> None:
    leak = await _leak(env, "GAS-0001", lel=30.0)  # major
    critical = await _leak(env, "GAS-0002", lel=70.0)
    await env.client.post(f"/api/v1/alerts/{critical}/ack", json={"actor": "wang"})
    await env.ingest([gas_event("GAS-0003", NOW_MS - MINUTE, GasEventType.FAULT)])
    station = await raise_alert(
        env.alerts, "HEAT-007-S01", rule="station_underheating", kind=SourceKind.STATION,
        severity=Severity.MINOR, enterprise_id="HEAT-007", district="黄岛",
    )  # fmt: skip

    async def ids(**params: str | list[str]) -> set[int]:
        body = (await env.client.get("/api/v1/alerts", params=params)).json()
        assert body["total"] == len(body["items"])
        return {a["id"] for a in body["items"]}

    fault = (await env.alerts.find_open("GAS-0003", "gas_fault")).id  # type: ignore[union-attr]
    assert await ids(state="active_acked") == {critical}
    assert await ids(state=["active_acked", "active_unacked"]) == {
        leak,
        critical,
        fault,
        station.id,
    }
    assert await ids(severity=["critical", "major"]) == {leak, critical}
    assert await ids(kind="station") == {station.id}
    assert await ids(source_id="GAS-0003") == {fault}
    assert await ids(rule="gas_leak") == {leak, critical}
    assert await ids(enterprise="HEAT-007") == {station.id}
    assert await ids(district="黄岛") == {station.id}
    district = env.registry.channels["GAS-0001"].district
    assert leak in await ids(district=district)


async def test_open_shortcut_excludes_closed_and_combines_with_state(env: Env) -> None:
    closed = await _leak(env, "GAS-0001")
    await env.client.post(f"/api/v1/alerts/{closed}/close", json={"actor": "li"})
    still = await _leak(env, "GAS-0002")
    assert [
        a["id"] for a in (await env.client.get("/api/v1/alerts?open=true")).json()["items"]
    ] == [still]
    assert [
        a["id"] for a in (await env.client.get("/api/v1/alerts?open=false")).json()["items"]
    ] == [closed]
    none = (await env.client.get("/api/v1/alerts?open=true&state=closed")).json()
    assert none == {"items": [], "total": 0}


async def test_bad_filter_values_are_422(env: Env) -> None:
    for query in ("state=melting", "severity=huge", "kind=toaster", "limit=5000"):
        assert (await env.client.get(f"/api/v1/alerts?{query}")).status_code == 422, query


async def test_ack_is_recorded_with_the_authenticated_actor_not_the_body_one(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0010")
    env.clock.now = NOW_MS + 5 * MINUTE
    response = await env.client.post(
        f"/api/v1/alerts/{alert_id}/ack", json={"actor": "zhang.wei", "note": "crew dispatched"}
    )
    assert response.status_code == 200
    acked = response.json()
    assert (acked["state"], acked["acked_by"], acked["acked_at_ms"]) == (
        "active_acked",
        "op-test",  # the token's account; the body's "zhang.wei" is ignored
        NOW_MS + 5 * MINUTE,
    )
    detail = (await env.client.get(f"/api/v1/alerts/{alert_id}")).json()
    trail = [
        (e["action"], e["actor"], e["from_state"], e["to_state"], e["note"])
        for e in detail["audit"]
    ]
    assert trail[0][:2] == ("raise", "system")
    assert trail[-1] == ("ack", "op-test", "active_unacked", "active_acked", "crew dispatched")
    assert detail["audit"][-1]["at"] == "2026-01-15T02:05:00.000Z"


async def test_ack_without_a_body_acts_as_the_authenticated_account(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0011")
    assert (await env.client.post(f"/api/v1/alerts/{alert_id}/ack")).status_code == 200
    detail = (await env.client.get(f"/api/v1/alerts/{alert_id}")).json()
    assert detail["acked_by"] == "op-test"
    assert detail["audit"][-1]["actor"] == "op-test"


async def test_second_ack_is_409_with_the_reason(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0012")
    assert (await env.client.post(f"/api/v1/alerts/{alert_id}/ack", json={})).status_code == 200
    again = await env.client.post(f"/api/v1/alerts/{alert_id}/ack", json={})
    assert again.status_code == 409
    assert "acknowledge" in again.json()["detail"]


async def test_shelve_needs_minutes_between_1_and_1440(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0013")
    url = f"/api/v1/alerts/{alert_id}/shelve"
    for body in ({}, {"minutes": 0}, {"minutes": 1441}, {"minutes": "soon"}):
        assert (await env.client.post(url, json=body)).status_code == 422, body
    shelved = (await env.client.post(url, json={"minutes": 30, "note": "cooking fumes"})).json()
    assert shelved["state"] == "shelved"
    assert shelved["shelved_until_ms"] == NOW_MS + 30 * MINUTE
    unshelved = await env.client.post(f"/api/v1/alerts/{alert_id}/unshelve", json={"actor": "li"})
    assert unshelved.json()["state"] == "active_unacked"
    assert (await env.client.post(f"/api/v1/alerts/{alert_id}/unshelve")).status_code == 409


async def test_assign_needs_an_assignee_and_keeps_the_state(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0014")
    url = f"/api/v1/alerts/{alert_id}/assign"
    assert (await env.client.post(url, json={"actor": "li"})).status_code == 422
    body = (await env.client.post(url, json={"actor": "li", "assignee": "crew-7"})).json()
    assert (body["assigned_to"], body["state"]) == ("crew-7", "active_unacked")
    trail = (await env.client.get(f"/api/v1/alerts/{alert_id}")).json()["audit"]
    assert (trail[-1]["action"], trail[-1]["actor"]) == ("assign", "op-test")


async def test_out_of_service_and_back_then_close_then_no_more_actions(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0015")
    base = f"/api/v1/alerts/{alert_id}"
    assert (await env.client.post(f"{base}/out_of_service", json={"note": "sensor swap"})).json()[
        "state"
    ] == "out_of_service"
    assert (await env.client.post(f"{base}/return_to_service")).json()["state"] == "active_unacked"
    closed = (await env.client.post(f"{base}/close", json={"actor": "chen"})).json()
    assert (closed["state"], closed["closed_at_ms"]) == ("closed", NOW_MS)
    for action in ("ack", "close", "out_of_service"):
        assert (await env.client.post(f"{base}/{action}")).status_code == 409, action
    actions = [e["action"] for e in (await env.client.get(base)).json()["audit"]]
    assert actions == ["raise", "out_of_service", "return_to_service", "close"]


async def test_actions_are_broadcast_to_live_subscribers(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0016")
    with env.broadcast.subscribe() as events:
        await env.client.post(f"/api/v1/alerts/{alert_id}/ack", json={"actor": "li", "note": "ok"})
        event = await events.__anext__()
    assert (event.id, event.state, event.acked_by, event.note) == (
        alert_id,
        "active_acked",
        "op-test",
        "ok",
    )


@pytest.mark.parametrize(
    ("action", "body"),
    [("ack", {}), ("shelve", {"minutes": 5}), ("close", {}), ("assign", {"assignee": "crew"})],
)
async def test_unknown_alert_is_404_for_actions_and_detail(
    env: Env, action: str, body: dict[str, object]
) -> None:
    response = await env.client.post(f"/api/v1/alerts/424242/{action}", json=body)
    assert response.status_code == 404
    assert "424242" in response.json()["detail"]
    assert (await env.client.get("/api/v1/alerts/424242")).status_code == 404


async def test_non_numeric_alert_id_and_unknown_body_fields_are_422(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0017")
    assert (await env.client.get("/api/v1/alerts/abc")).status_code == 422
    extra = await env.client.post(f"/api/v1/alerts/{alert_id}/ack", json={"user": "x"})
    assert extra.status_code == 422
    empty_actor = await env.client.post(f"/api/v1/alerts/{alert_id}/ack", json={"actor": ""})
    assert empty_actor.status_code == 422


async def test_info_alert_counts_as_open_but_leaves_category_visible(env: Env) -> None:
    await env.ingest([gas_event("GAS-0018", NOW_MS - MINUTE, GasEventType.CALIBRATION_DUE)])
    body = (await env.client.get("/api/v1/alerts", params={"source_id": "GAS-0018"})).json()
    assert [a["category"] for a in body["items"]] == [AlertCategory.INFO.value]
