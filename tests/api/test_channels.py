"""/api/v1/channels: listing, filters, displayed state, detail, errors."""

from __future__ import annotations

from lifeline.core.alert import AlertCategory
from tests.api.conftest import Env
from tests.api.factories import MINUTE, NOW_MS, clear_alert, gas, raise_alert


async def test_list_returns_all_525_channels_paginated_with_total(env: Env) -> None:
    first = (await env.client.get("/api/v1/channels", params={"limit": 200})).json()
    last = (await env.client.get("/api/v1/channels", params={"limit": 200, "offset": 500})).json()
    assert first["total"] == last["total"] == 525
    assert len(first["items"]) == 200
    assert [c["id"] for c in last["items"]] == [f"GAS-{n:04d}" for n in range(501, 526)]


async def test_default_page_is_100_and_limit_above_1000_is_refused(env: Env) -> None:
    page = (await env.client.get("/api/v1/channels")).json()
    assert len(page["items"]) == 100
    for params in ({"limit": 1001}, {"limit": 0}, {"offset": -1}):
        response = await env.client.get("/api/v1/channels", params=params)
        assert response.status_code == 422, params


async def test_channel_carries_registry_metadata_last_reading_and_last_seen(env: Env) -> None:
    await env.telemetry.write([gas("GAS-0007", NOW_MS - 2 * MINUTE, 1.5)])
    await env.telemetry.write([gas("GAS-0007", NOW_MS - MINUTE, 2.5)])
    body = (await env.client.get("/api/v1/channels", params={"limit": 10})).json()
    item = next(c for c in body["items"] if c["id"] == "GAS-0007")
    channel = env.registry.channels["GAS-0007"]
    assert (item["name"], item["district"], item["owner"]) == (
        channel.name,
        channel.district,
        channel.owner,
    )
    assert item["last_reading"] == {
        "ts": "2026-01-15T01:59:00.000Z",
        "ts_ms": NOW_MS - MINUTE,
        "lel_pct": 2.5,
    }
    assert item["last_seen_ms"] == NOW_MS - MINUTE
    assert item["last_seen"] == "2026-01-15T01:59:00.000Z"
    assert item["state"] == "normal"


async def test_state_is_offline_when_never_seen_or_silent_for_over_15_minutes(env: Env) -> None:
    await env.telemetry.write(
        [gas("GAS-0001", NOW_MS - 15 * MINUTE, 1.0), gas("GAS-0002", NOW_MS - 16 * MINUTE, 1.0)]
    )
    items = (await env.client.get("/api/v1/channels", params={"limit": 3})).json()["items"]
    assert [c["state"] for c in items] == ["normal", "offline", "offline"]


async def test_state_follows_worst_open_alert_alarm_over_fault_over_offline(env: Env) -> None:
    ids = ["GAS-0001", "GAS-0002", "GAS-0003", "GAS-0004"]
    await env.telemetry.write([gas(i, NOW_MS - MINUTE, 1.0) for i in ids])
    await raise_alert(env.alerts, "GAS-0001", rule="fault", category=AlertCategory.FAULT)
    await raise_alert(env.alerts, "GAS-0001", rule="gas_high", category=AlertCategory.ALARM)
    await raise_alert(env.alerts, "GAS-0002", rule="fault", category=AlertCategory.FAULT)
    await raise_alert(env.alerts, "GAS-0002", rule="deadman", category=AlertCategory.OFFLINE)
    await raise_alert(env.alerts, "GAS-0003", rule="deadman", category=AlertCategory.OFFLINE)
    await raise_alert(env.alerts, "GAS-0004", rule="calibration", category=AlertCategory.INFO)
    items = (await env.client.get("/api/v1/channels", params={"limit": 4})).json()["items"]
    assert [c["state"] for c in items] == ["alarm", "fault", "offline", "normal"]
    assert [c["open_alert_count"] for c in items] == [2, 2, 1, 1]


async def test_cleared_alarm_awaiting_ack_leaves_the_channel_normal(env: Env) -> None:
    await env.telemetry.write([gas("GAS-0001", NOW_MS - MINUTE, 1.0)])
    alert = await raise_alert(env.alerts, "GAS-0001")
    await clear_alert(env.alerts, alert)
    item = (await env.client.get("/api/v1/channels/GAS-0001")).json()
    assert item["state"] == "normal"
    assert [a["state"] for a in item["open_alerts"]] == ["cleared_unacked"]


async def test_filters_by_district_owner_site_type_and_state(env: Env) -> None:
    channels = list(env.registry.channels.values())
    some = channels[0]
    for params, expected in (
        ({"district": some.district}, [c for c in channels if c.district == some.district]),
        ({"owner": some.owner}, [c for c in channels if c.owner == some.owner]),
        ({"site_type": "valve_well"}, [c for c in channels if c.site_type == "valve_well"]),
    ):
        body = (await env.client.get("/api/v1/channels", params={**params, "limit": 1000})).json()
        assert body["total"] == len(expected) > 0
        assert {c["id"] for c in body["items"]} == {c.id for c in expected}
    await env.telemetry.write([gas("GAS-0100", NOW_MS, 1.0), gas("GAS-0200", NOW_MS, 1.0)])
    await raise_alert(env.alerts, "GAS-0200")
    normal = (await env.client.get("/api/v1/channels", params={"state": "normal"})).json()
    alarm = (await env.client.get("/api/v1/channels", params={"state": "alarm"})).json()
    offline = (await env.client.get("/api/v1/channels", params={"state": "offline"})).json()
    assert [c["id"] for c in normal["items"]] == ["GAS-0100"]
    assert [c["id"] for c in alarm["items"]] == ["GAS-0200"]
    assert offline["total"] == 523


async def test_unknown_state_filter_is_refused(env: Env) -> None:
    response = await env.client.get("/api/v1/channels", params={"state": "burning"})
    assert response.status_code == 422


async def test_detail_lists_open_alerts_but_not_closed_ones(env: Env) -> None:
    await env.telemetry.write([gas("GAS-0042", NOW_MS - MINUTE, 55.0)])
    old = await raise_alert(env.alerts, "GAS-0042", rule="gas_low", ts_ms=NOW_MS - 3 * MINUTE)
    await env.client.post(f"/api/v1/alerts/{old.id}/close", json={"actor": "li"})
    current = await raise_alert(env.alerts, "GAS-0042", rule="gas_high")
    body = (await env.client.get("/api/v1/channels/GAS-0042")).json()
    assert body["id"] == "GAS-0042"
    assert body["state"] == "alarm"
    assert [a["id"] for a in body["open_alerts"]] == [current.id]
    assert body["last_reading"]["lel_pct"] == 55.0


async def test_unknown_channel_is_404_with_a_clear_detail(env: Env) -> None:
    response = await env.client.get("/api/v1/channels/GAS-9999")
    assert response.status_code == 404
    assert "GAS-9999" in response.json()["detail"]
