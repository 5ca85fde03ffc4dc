"""Shared fixtures: real services on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import MosquittoServer, run_mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A fresh Mosquitto (anonymous, persistent sessions) for one test."""
    with run_mosquitto(tmp_path / "mosquitto") as server:
        yield server
