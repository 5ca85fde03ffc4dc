"""The deterministic demo registry (lifeline.seed)."""

from __future__ import annotations

import re
from collections import Counter

from lifeline.core.ids import is_valid_id
from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station
from lifeline.seed import DISTRICTS, SITE_TYPES, generate_registry


def _snapshot(registry: Registry) -> tuple[object, ...]:
    return (
        list(registry.utilities.values()),
        list(registry.channels.values()),
        list(registry.enterprises.values()),
        list(registry.stations.values()),
        list(registry.meters.values()),
    )


def test_same_seed_gives_the_same_registry() -> None:
    assert _snapshot(generate_registry(meters=500)) == _snapshot(generate_registry(meters=500))


def test_another_seed_gives_another_registry() -> None:
    a, b = generate_registry(seed=1, meters=0), generate_registry(seed=2, meters=0)
    assert list(a.channels.values()) != list(b.channels.values())
    assert a.channels.keys() == b.channels.keys()  # ids do not depend on the seed


def test_meter_count_does_not_change_the_other_entities() -> None:
    few, many = generate_registry(meters=10), generate_registry(meters=3000)
    assert _snapshot(few)[:4] == _snapshot(many)[:4]


def test_counts_match_the_customer_figures() -> None:
    registry = generate_registry()

    assert len(registry.channels) == 525
    assert len(registry.enterprises) == 134
    assert 1400 <= len(registry.stations) <= 1600
    assert len(registry.meters) == 10_000
    assert min(map(len, registry.stations_by_enterprise.values())) >= 2
    assert max(map(len, registry.stations_by_enterprise.values())) <= 30
    assert len(registry.stations_by_enterprise) == 134


def test_ids_follow_the_contract() -> None:
    registry = generate_registry(meters=20)

    assert list(registry.channels)[:2] == ["GAS-0001", "GAS-0002"]
    assert list(registry.channels)[-1] == "GAS-0525"
    assert list(registry.enterprises)[-1] == "HEAT-134"
    assert list(registry.meters)[-1] == "MTR-00000020"
    assert "HEAT-001-S01" in registry.stations
    for table in (registry.utilities, registry.channels, registry.stations, registry.meters):
        assert all(is_valid_id(i) for i in table)
    assert all(re.fullmatch(r"HEAT-\d{3}-S\d{2}", s) for s in registry.stations)


def test_owners_are_utilities_of_the_right_kind() -> None:
    registry = generate_registry(meters=500)
    gas = {u.id for u in registry.utilities.values() if u.kind == "gas"}

    assert 4 <= len(gas) <= 5
    assert {"gas-huarun", "gas-ganghua", "gas-xinao", "gas-qdenergy"} <= gas
    assert {c.owner for c in registry.channels.values()} <= gas
    assert {m.owner for m in registry.meters.values()} <= gas
    for enterprise in registry.enterprises.values():
        account = registry.utilities[enterprise.owner]
        assert account.kind == "heating"
        assert account.id == "heat-" + enterprise.id.removeprefix("HEAT-")
        assert account.name == enterprise.name
    assert registry.owner_of("HEAT-042-S01") == "heat-042"


def test_channels_favour_urban_districts_and_all_site_types() -> None:
    channels = list(generate_registry(meters=0).channels.values())
    per_district = Counter(c.district for c in channels)
    per_site = Counter(c.site_type for c in channels)

    assert set(per_district) == set(DISTRICTS)
    urban = sum(per_district[d] for d in ("市南", "市北", "李沧", "崂山"))
    assert urban > len(channels) / 2
    assert set(per_site) == set(SITE_TYPES)
    assert per_site["kitchen"] > per_site["regulator_station"]
    assert all(c.high_pct == 50.0 and c.low_pct in (15.0, 20.0) for c in channels)
    assert Counter(c.low_pct for c in channels)[20.0] > 450


def test_places_lie_near_their_district_centre() -> None:
    registry = generate_registry(meters=1000)
    places: list[Channel | Enterprise | Station | Meter] = [
        *registry.channels.values(),
        *registry.enterprises.values(),
        *registry.stations.values(),
        *registry.meters.values(),
    ]

    for place in places:
        lat, lon = DISTRICTS[place.district]
        assert abs(place.lat - lat) < 0.12, place
        assert abs(place.lon - lon) < 0.15, place
    assert all(30_000 <= s.area_m2 <= 200_000 for s in registry.stations.values())
    assert {m.model for m in registry.meters.values()} == {"G1.6", "G2.5"}
    assert all("青岛市" in c.address for c in registry.channels.values())
