"""A real InfluxDB 1.x (``influxd``) for tests, on free loopback ports.

The launcher is ``bench.services.run_influxdb`` (minimal config: no auth unless asked,
no reporting, TSI index, data under ``workdir``; ``stop``/``start`` restart it on the
same ports and data for outage drills). Here it only adds the test suite's rule: skipped
when ``influxd`` is missing, unless ``LIFELINE_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bench.services import INFLUX_DATABASE, INFLUXD_BINARIES, InfluxServer
from bench.services import run_influxdb as _run_influxdb
from tests.services import require_binary

__all__ = ["DATABASE", "InfluxServer", "run_influxdb"]

DATABASE = INFLUX_DATABASE


@contextlib.contextmanager
def run_influxdb(
    workdir: Path, database: str = DATABASE, admin: tuple[str, str] | None = None
) -> Iterator[InfluxServer]:
    require_binary(*INFLUXD_BINARIES)
    with _run_influxdb(workdir, database, admin) as server:
        yield server
