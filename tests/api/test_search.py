"""/api/v1/search (id, name, address across the registry) and /api/v1/utilities."""

from __future__ import annotations

from lifeline.core.identity import Role
from tests.api.conftest import Env


async def test_an_exact_id_comes_first_then_ids_starting_with_it(env: Env) -> None:
    body = (await env.client.get("/api/v1/search", params={"q": "heat-001"})).json()
    ids = [hit["id"] for hit in body["items"]]
    assert ids[0] == "HEAT-001"
    assert body["total"] == 1 + len(env.registry.stations_by_enterprise["HEAT-001"])
    assert {hit["kind"] for hit in body["items"][1:]} == {"station"}
    station = body["items"][1]
    assert station["enterprise_id"] == "HEAT-001"
    assert station["owner_name"] == env.registry.utilities[station["owner"]].name


async def test_words_of_an_address_find_channels_and_meters(env: Env) -> None:
    channel = env.registry.channels["GAS-0100"]
    street = channel.address.removeprefix("青岛市")
    district_word, road = channel.district, street[len(channel.district) + 1 :]
    body = (await env.client.get("/api/v1/search", params={"q": f"{road} {district_word}"})).json()
    assert "GAS-0100" in [hit["id"] for hit in body["items"]]
    hit = next(h for h in body["items"] if h["id"] == "GAS-0100")
    assert hit["kind"] == "gas_channel"
    assert (hit["name"], hit["address"]) == (channel.name, channel.address)
    meter = next(iter(env.registry.meters.values()))
    found = (await env.client.get("/api/v1/search", params={"q": meter.address})).json()
    assert meter.id in [hit["id"] for hit in found["items"]]


async def test_a_name_finds_its_enterprise_and_kind_narrows(env: Env) -> None:
    enterprise = env.registry.enterprises["HEAT-042"]
    body = (
        await env.client.get("/api/v1/search", params={"q": enterprise.name, "kind": "enterprise"})
    ).json()
    assert [hit["id"] for hit in body["items"]][:1] == ["HEAT-042"]
    assert {hit["kind"] for hit in body["items"]} == {"enterprise"}


async def test_results_are_paged_and_a_blank_query_finds_nothing(env: Env) -> None:
    body = (await env.client.get("/api/v1/search", params={"q": "GAS-0", "limit": 5})).json()
    assert len(body["items"]) == 5
    assert body["total"] == 525
    assert (await env.client.get("/api/v1/search", params={"q": "   "})).json()["total"] == 0
    assert (await env.client.get("/api/v1/search")).status_code == 422


async def test_a_utility_finds_only_its_own_sources(env: Env) -> None:
    utility = "gas-huarun"
    client = await env.client_as(Role.UTILITY, "huarun", utility_id=utility)
    body = (await client.get("/api/v1/search", params={"q": "GAS-", "limit": 1000})).json()
    expected = sum(1 for c in env.registry.channels.values() if c.owner == utility)
    assert body["total"] == expected > 0
    assert {hit["owner"] for hit in body["items"]} == {utility}
    utilities = (await client.get("/api/v1/utilities")).json()
    assert [u["id"] for u in utilities["items"]] == [utility]


async def test_utilities_name_every_owner(env: Env) -> None:
    body = (await env.client.get("/api/v1/utilities", params={"limit": 1000})).json()
    names = {u["id"]: u["name"] for u in body["items"]}
    assert body["total"] == len(env.registry.utilities)
    assert names["gas-ganghua"] == "港华燃气"
    owners = {c.owner for c in env.registry.channels.values()}
    assert owners <= names.keys()


async def test_rules_give_every_rule_its_metric_and_any_account_may_read_them(env: Env) -> None:
    crew = await env.client_as(Role.CREW, "crew01", crew_id="crew-01")
    rules = {r["name"]: r for r in (await crew.get("/api/v1/rules")).json()}
    assert rules["gas_stuck"]["metric"] == "lel_pct"
    assert rules["gas_rate_of_rise"]["detector"] == "rate_of_rise"
    assert "secondary_supply_temp_c" in rules["station_under_curve"]["metrics"]
    assert rules["gas_offline"]["metric"] is None
