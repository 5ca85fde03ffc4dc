"""The drills publish as the utilities do: each topic with its owner's account. These
pure checks catch the bench routing a topic to an account the broker's ACL (built by
``lifeline.core.accounts.grants`` from the same registry) would refuse, or publishing for
devices no listed utility owns."""

from __future__ import annotations

import pytest

from bench.load import LoadGenerator, Mix, Traffic
from bench.publisher import Accounts
from bench.run import RunOptions, _traffic
from bench.stack import PUBLISHING_HEAT_UTILITIES, publishing_utilities
from lifeline.core.accounts import Account, Role, grants
from lifeline.core.topics import gas_reading_topic, station_topic
from lifeline.mqtt import BrokerAddress
from lifeline.seed import generate_registry

_METERS = 300
_BROKER = BrokerAddress("127.0.0.1", 1883)


def _accounts() -> Accounts:
    utilities = publishing_utilities(_METERS)
    passwords = {name: f"pw-{name}" for name in utilities}
    return Accounts.of(generate_registry(meters=_METERS), _BROKER, passwords)


def test_every_routed_topic_is_one_the_owners_acl_allows() -> None:
    registry = generate_registry(meters=_METERS)
    routes = _accounts()
    accounts = [Account(name, Role.UTILITY, "", "", 0) for name in routes.addresses]
    allowed = grants(registry, accounts).publish
    assert routes.owners
    for topic, owner in routes.owners.items():
        assert topic in allowed[owner], (topic, owner)


def test_each_owner_logs_in_with_its_own_password() -> None:
    routes = _accounts()
    for owner, address in routes.addresses.items():
        assert (address.username, address.password) == (owner, f"pw-{owner}")
        assert (address.host, address.port) == (_BROKER.host, _BROKER.port)


def test_publishing_utilities_are_every_gas_utility_and_the_biggest_heat_ones() -> None:
    registry = generate_registry(meters=_METERS)
    chosen = publishing_utilities(_METERS)
    gas = {c.owner for c in registry.channels.values()}
    heat = [u for u in chosen if u not in gas]
    assert gas <= set(chosen)
    assert len(heat) == PUBLISHING_HEAT_UTILITIES
    stations = [registry.enterprises[s.enterprise_id].owner for s in registry.stations.values()]
    smallest_chosen = min(stations.count(u) for u in heat)
    assert all(stations.count(u) <= smallest_chosen for u in set(stations) - set(heat))


def test_traffic_as_utilities_only_has_their_devices() -> None:
    registry = generate_registry(meters=_METERS)
    routes = _accounts()
    options = RunOptions(duration_s=1.0, meters=_METERS, alarm_channels=50)
    traffic: Traffic = _traffic(options, registry, routes)
    generator = LoadGenerator(traffic, Mix(gas=10, event=1, station=4, meter=1))
    for _ in range(2_000):
        owner, _address = routes.address(next(generator).topic)
        assert owner in routes.addresses
    for channel in traffic.alarm_channels:
        routes.address(gas_reading_topic(channel))


def test_a_topic_of_an_unlisted_utility_is_refused() -> None:
    registry = generate_registry(meters=_METERS)
    routes = _accounts()
    foreign = next(
        s
        for s in registry.stations.values()
        if registry.enterprises[s.enterprise_id].owner not in routes.addresses
    )
    with pytest.raises(KeyError):
        routes.address(station_topic(foreign.enterprise_id, foreign.id))
