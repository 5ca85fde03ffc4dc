"""Real external services for tests, started on free loopback ports.

The launchers live in ``bench.services`` (the benchmarks and drills use the same ones);
this module adds the test suite's rule: when a service binary is missing the test is
skipped, unless ``LIFELINE_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which turns the
skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.services import MOSQUITTO_BINARIES, MosquittoServer, free_port, wait_for_port
from bench.services import run_mosquitto as _run_mosquitto

__all__ = ["MosquittoServer", "free_port", "require_binary", "run_mosquitto", "wait_for_port"]


def require_binary(*candidates: str) -> str:
    """Path of the first binary found, else skip (or fail under LIFELINE_REQUIRE_SERVICES)."""
    for name in candidates:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    message = f"none of {candidates} is installed (.ci/run installs it)"
    if os.environ.get("LIFELINE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def run_mosquitto(workdir: Path, extra_config: str = "") -> Iterator[MosquittoServer]:
    """A Mosquitto on a free loopback port; ``extra_config`` is appended to its config.

    Without extra config it allows anonymous clients and keeps persistent sessions.
    """
    require_binary(*MOSQUITTO_BINARIES)
    with _run_mosquitto(workdir, extra_config) as server:
        yield server
