"""/api/v1/stations and /api/v1/meters: filters, pagination, detail with newest values."""

from __future__ import annotations

from lifeline.core.ids import SourceKind
from tests.api.conftest import Env
from tests.api.factories import MINUTE, NOW_MS, meter, raise_alert, station


async def test_stations_filter_by_enterprise_and_paginate(env: Env) -> None:
    all_stations = (await env.client.get("/api/v1/stations")).json()
    assert all_stations["total"] == 1500
    assert len(all_stations["items"]) == 100
    mine = sorted(s.id for s in env.registry.stations_by_enterprise["HEAT-002"])
    body = (await env.client.get("/api/v1/stations", params={"enterprise_id": "HEAT-002"})).json()
    assert [s["id"] for s in body["items"]] == mine
    assert body["total"] == len(mine)


async def test_stations_filter_by_district(env: Env) -> None:
    district = env.registry.stations["HEAT-001-S01"].district
    expected = sum(1 for s in env.registry.stations.values() if s.district == district)
    body = (await env.client.get("/api/v1/stations", params={"district": district})).json()
    assert body["total"] == expected
    assert all(s["district"] == district for s in body["items"])


async def test_station_detail_has_newest_values_and_open_alerts(env: Env) -> None:
    await env.telemetry.write([station("HEAT-001-S01", NOW_MS - 2 * MINUTE, supply_c=48.0)])
    await env.telemetry.write([station("HEAT-001-S01", NOW_MS - MINUTE, supply_c=47.0)])
    alert = await raise_alert(env.alerts, "HEAT-001-S01", rule="under", kind=SourceKind.STATION)
    body = (await env.client.get("/api/v1/stations/HEAT-001-S01")).json()
    assert body["enterprise_name"] == env.registry.enterprises["HEAT-001"].name
    assert body["latest"]["secondary_supply_temp_c"]["value"] == 47.0
    assert body["latest"]["pump_running"]["value"] == 1.0
    assert body["online"] is True
    assert [a["id"] for a in body["open_alerts"]] == [alert.id]


async def test_meters_are_paginated_over_10000_with_totals(env: Env) -> None:
    body = (await env.client.get("/api/v1/meters", params={"limit": 1000, "offset": 9500})).json()
    assert body["total"] == 10_000
    assert len(body["items"]) == 500
    assert body["items"][0]["id"] == "MTR-00009501"
    assert body["items"][-1]["id"] == "MTR-00010000"


async def test_meters_filter_by_owner_and_district(env: Env) -> None:
    meters = list(env.registry.meters.values())
    owner, district = meters[0].owner, meters[0].district
    expected = [m.id for m in meters if m.owner == owner and m.district == district]
    params: dict[str, str | int] = {"owner": owner, "district": district, "limit": 1000}
    body = (await env.client.get("/api/v1/meters", params=params)).json()
    assert body["total"] == len(expected)
    assert [m["id"] for m in body["items"]] == sorted(expected)[:1000]


async def test_meter_detail_and_list_show_last_seen(env: Env) -> None:
    await env.telemetry.write([meter("MTR-00000003", NOW_MS - 3 * MINUTE, 812.25)])
    detail = (await env.client.get("/api/v1/meters/MTR-00000003")).json()
    assert detail["latest"]["volume_m3"] == {
        "ts": "2026-01-15T01:57:00.000Z",
        "ts_ms": NOW_MS - 3 * MINUTE,
        "value": 812.25,
    }
    assert detail["model"] == env.registry.meters["MTR-00000003"].model
    page = (await env.client.get("/api/v1/meters", params={"limit": 3})).json()
    assert [m["last_seen_ms"] for m in page["items"]] == [None, None, NOW_MS - 3 * MINUTE]


async def test_unknown_station_and_meter_are_404(env: Env) -> None:
    for path in ("/api/v1/stations/HEAT-001-S99", "/api/v1/meters/MTR-99999999"):
        response = await env.client.get(path)
        assert response.status_code == 404, path
        assert path.rsplit("/", 1)[1] in response.json()["detail"]
