"""Shared fixtures: real services on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.influx import InfluxServer, run_influxdb
from tests.services import MosquittoServer, run_mosquitto


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
