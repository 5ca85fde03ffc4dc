"""A real InfluxDB 1.x (``influxd``) for tests, on free loopback ports.

:func:`run_influxdb` writes a minimal config (no auth, no reporting, TSI index, data
under ``workdir``), starts ``influxd``, waits for ``/ping`` and creates the database.
:meth:`InfluxServer.stop` / :meth:`InfluxServer.start` restart it on the same ports and
data for outage drills. Skipped when ``influxd`` is missing, unless
``LIFELINE_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.services import free_port, require_binary

__all__ = ["InfluxServer", "run_influxdb"]

DATABASE = "lifeline"


@dataclass
class InfluxServer:
    host: str
    port: int
    config: Path
    database: str
    admin: tuple[str, str] | None = None  # user and password when auth is enabled
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def query(self, statement: str) -> httpx.Response:
        """Run one InfluxQL statement against the server (setup and inspection)."""
        response = httpx.post(
            f"{self.url}/query",
            params={"db": self.database, "epoch": "ms"},
            data={"q": statement},
            auth=self.admin,
            timeout=10,
        )
        response.raise_for_status()
        return response

    def create_database(self, name: str) -> None:
        self.query(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def start(self) -> None:
        """(Re)start on the same ports with the same data; returns when ``/ping`` is 204."""
        self.stop()
        binary = require_binary("influxd", "/usr/bin/influxd")
        log = (self.config.parent / "influxd.log").open("ab")
        with log:
            self.process = subprocess.Popen(
                [binary, "-config", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = (self.config.parent / "influxd.log").read_text(errors="replace")
                raise RuntimeError(f"influxd exited with {self.process.returncode}:\n{log[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/ping", timeout=0.5).status_code == 204:
                    return
            time.sleep(0.02)
        raise TimeoutError(f"influxd did not answer /ping on {self.url} after {timeout}s")


def _config(workdir: Path, http_port: int, rpc_port: int, auth: bool) -> str:
    return f"""\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{workdir / "meta"}"
  logging-enabled = false

[data]
  dir = "{workdir / "data"}"
  wal-dir = "{workdir / "wal"}"
  index-version = "tsi1"
  max-series-per-database = 0
  max-values-per-tag = 0
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {"true" if auth else "false"}
  log-enabled = false
  max-row-limit = 0

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
"""


@contextlib.contextmanager
def run_influxdb(
    workdir: Path, database: str = DATABASE, admin: tuple[str, str] | None = None
) -> Iterator[InfluxServer]:
    """An ``influxd`` on free loopback ports with ``database`` created. With ``admin``
    (user, password) authentication is on and that admin user is created first."""
    require_binary("influxd", "/usr/bin/influxd")
    workdir.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    rpc_port = free_port()
    while rpc_port == http_port:
        rpc_port = free_port()
    config = workdir / "influxdb.conf"
    config.write_text(_config(workdir, http_port, rpc_port, admin is not None))
    server = InfluxServer("127.0.0.1", http_port, config, database, admin)
    try:
        server.start()
        if admin is not None:  # allowed without credentials while no user exists
            user, password = admin
            httpx.post(
                f"{server.url}/query",
                data={
                    "q": f"CREATE USER \"{user}\" WITH PASSWORD '{password}' WITH ALL PRIVILEGES"
                },
                timeout=10,
            ).raise_for_status()
        server.create_database(database)
        yield server
    finally:
        server.stop()
