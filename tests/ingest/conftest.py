"""Fixtures of the ingester tests: a small hand-built registry and a fixed clock."""

from __future__ import annotations

import pytest

from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station, Utility

# 2026-11-25T08:00:00Z, in the heating season.
NOW_MS = 1_795_593_600_000


class FixedClock:
    """A :class:`lifeline.core.ports.Clock` that says what the test tells it."""

    def __init__(self, now_ms: int = NOW_MS) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def build_registry() -> Registry:
    utilities = [
        Utility("gas-huarun", "Huarun Gas", "gas"),
        Utility("gas-ganghua", "Ganghua Gas", "gas"),
        Utility("heat-001", "Heating One", "heating"),
        Utility("heat-002", "Heating Two", "heating"),
    ]
    channels = [
        Channel("GAS-0001", "Kitchen 1", "市南", "kitchen", "1 Road", 36.07, 120.38, "gas-huarun"),
        Channel("GAS-0002", "Well 2", "市北", "valve_well", "2 Road", 36.09, 120.37, "gas-ganghua"),
    ]
    enterprises = [
        Enterprise("HEAT-001", "Heating One", "李沧", "heat-001", 36.15, 120.43),
        Enterprise("HEAT-002", "Heating Two", "崂山", "heat-002", 36.11, 120.47),
    ]
    stations = [
        Station("HEAT-001-S01", "HEAT-001", "Station 1", "李沧", 36.15, 120.43, 50_000.0),
        Station("HEAT-002-S01", "HEAT-002", "Station 1", "崂山", 36.11, 120.47, 40_000.0),
    ]
    meters = [Meter("MTR-00000001", "gas-huarun", "市南", "3 Road", 36.07, 120.38, "G2.5")]
    return Registry(utilities, channels, enterprises, stations, meters)


@pytest.fixture
def registry() -> Registry:
    return build_registry()
