"""Shared fixtures: real services on free loopback ports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from tests.influx import InfluxServer, run_influxdb
from tests.services import MosquittoServer, run_mosquitto

# pytest-xdist runs the suite on several workers (pyproject: -n 3 --dist loadgroup); most
# long tests wait on a running stack rather than compute, so three workers fit two cores.
# Longest first (the order xdist hands tests out in) keeps one of them from finishing last.
_LONGEST_FIRST: Final = (
    "tests/e2e/test_anomaly_scenarios.py",
    "tests/browser/",
    "tests/e2e/test_up_offline_per_feed.py",
    "tests/e2e/test_alarm_handoff_durable.py",
    "tests/bench/test_drills.py",
)


def _run_order(item: pytest.Item) -> int:
    path = item.nodeid
    for rank, prefix in enumerate(_LONGEST_FIRST):
        if path.startswith(prefix):
            return rank
    return len(_LONGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)


def _check_each_item_has_its_own_id(items: list[pytest.Item]) -> None:
    """xdist hands tests out by node id: of tests sharing one it runs only the first and
    still reports success. pytest 9.2 gave all 39 schemathesis items one id (hence the
    pin in pyproject.toml); this stops such a run instead of passing it.
    """
    counts = Counter(item.nodeid for item in items)
    shared = sorted(nodeid for nodeid, n in counts.items() if n > 1)
    assert not shared, f"tests share node ids, xdist would run one of each: {shared[:3]}"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _check_each_item_has_its_own_id(items)
    for item in items:
        if item.nodeid.startswith("tests/browser/"):
            # one worker runs them all: one ``city`` stack and one browser for the folder
            item.add_marker(pytest.mark.xdist_group("browser"))
    items.sort(key=_run_order)  # stable: file order within each rank


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A fresh Mosquitto (anonymous, persistent sessions) for one test."""
    with run_mosquitto(tmp_path / "mosquitto") as server:
        yield server


@pytest.fixture
def influxdb(tmp_path: Path) -> Iterator[InfluxServer]:
    """A fresh InfluxDB 1.x with database ``lifeline``, for one test (starts in < 1 s)."""
    with run_influxdb(tmp_path / "influxdb") as server:
        yield server
