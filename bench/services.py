"""Real Mosquitto and InfluxDB processes on free loopback ports, for benches and drills.

:func:`run_mosquitto` writes a config (persistent sessions, ``max_inflight_messages``
1000, a large ``max_queued_messages``, ``$SYS`` every second) and starts
``/usr/sbin/mosquitto``; :func:`run_influxdb` does the same for ``influxd`` (InfluxDB 1.x,
no auth, TSI index) and creates the database. Both servers can be stopped and started
again on the same ports and data, which is what the fault drills do. A missing binary
raises :class:`ServiceMissingError` (the test suite turns it into a skip or a failure).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final

import httpx

__all__ = [
    "InfluxServer",
    "MosquittoServer",
    "ServiceMissingError",
    "find_binary",
    "free_port",
    "run_influxdb",
    "run_mosquitto",
    "wait_for_port",
]

MOSQUITTO_BINARIES = ("mosquitto", "/usr/sbin/mosquitto")
INFLUXD_BINARIES = ("influxd", "/usr/bin/influxd")


class ServiceMissingError(RuntimeError):
    """The service's binary is not installed."""


def find_binary(*candidates: str) -> str:
    """Path of the first binary found; :class:`ServiceMissingError` when none is."""
    for name in candidates:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    raise ServiceMissingError(f"none of {candidates} is installed")


# Service ports come from below the kernel's ephemeral range (32768-60999 on Linux):
# a port given by bind(0) is an ephemeral one, and a stack restarted on its old port
# (the kill -9 drills) found it taken meanwhile as the local port of some outgoing
# connection. Ports drawn at random from here are never handed to connections.
_SERVICE_PORTS: Final = range(20_000, 32_000)


def free_port() -> int:
    """A loopback port nothing listens on, outside the ephemeral range (see above)."""
    for _ in range(1000):
        port = random.choice(_SERVICE_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port below the ephemeral range")


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class _ServerProcess:
    """A server process that can be stopped and started again on the same ports, config
    and data (what the fault drills do)."""

    binaries: ClassVar[tuple[str, ...]]
    config_flag: ClassVar[str]  # the binary's option naming its config file
    log_name: ClassVar[str]  # output appended to this file beside the config
    stop_grace_s: ClassVar[float]  # SIGTERM, then SIGKILL after this long
    config: Path
    process: subprocess.Popen[bytes] | None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def stop(self) -> None:
        process, self.process = self.process, None
        _terminate(process, self.stop_grace_s)

    def start(self) -> None:
        """(Re)start with the same config and data; returns once the server answers."""
        self.stop()
        binary = find_binary(*self.binaries)
        with (self.config.parent / self.log_name).open("ab") as log:
            self.process = subprocess.Popen(
                [binary, self.config_flag, str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        raise NotImplementedError


@dataclass
class MosquittoServer(_ServerProcess):
    host: str
    port: int
    config: Path
    process: subprocess.Popen[bytes] | None = None

    binaries = MOSQUITTO_BINARIES
    config_flag = "-c"
    log_name = "mosquitto.log"
    stop_grace_s = 5.0  # on SIGTERM Mosquitto saves its persistence file

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def _wait_ready(self) -> None:
        wait_for_port(self.port)


def mosquitto_config(workdir: Path, port: int, extra: str = "") -> str:
    lines = [
        f"listener {port} 127.0.0.1",
        "persistence true",
        f"persistence_location {workdir}/",
        # Mosquitto started as root drops to the "mosquitto" user, which cannot write a
        # root-owned persistence directory: its sessions would silently not survive a restart.
        "user root",
        "autosave_interval 1800",
        "max_queued_messages 10000000",
        "max_queued_bytes 0",
        "max_inflight_messages 1000",
        "message_size_limit 1048576",
        "sys_interval 1",
    ]
    if "allow_anonymous" not in extra:
        lines.append("allow_anonymous true")
    return "\n".join(lines) + "\n" + extra + "\n"


@contextlib.contextmanager
def run_mosquitto(workdir: Path, extra_config: str = "") -> Iterator[MosquittoServer]:
    """A Mosquitto on a free loopback port (anonymous, persistent sessions)."""
    find_binary(*MOSQUITTO_BINARIES)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "mosquitto.conf"
    config.write_text(mosquitto_config(workdir, port, extra_config))
    server = MosquittoServer("127.0.0.1", port, config)
    try:
        server.start()
        yield server
    finally:
        server.stop()


INFLUX_DATABASE = "lifeline"


@dataclass
class InfluxServer(_ServerProcess):
    host: str
    port: int
    config: Path
    database: str
    admin: tuple[str, str] | None = None  # user and password when auth is enabled
    process: subprocess.Popen[bytes] | None = None

    binaries = INFLUXD_BINARIES
    config_flag = "-config"
    log_name = "influxd.log"
    stop_grace_s = 10.0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def store_url(self) -> str:
        """The ``--store`` value of a Lifeline process writing here."""
        return f"influx://{self.host}:{self.port}/{self.database}"

    def query(self, statement: str) -> httpx.Response:
        """Run one InfluxQL statement against the server (setup and inspection)."""
        response = httpx.post(
            f"{self.url}/query",
            params={"db": self.database, "epoch": "ms"},
            data={"q": statement},
            auth=self.admin,
            timeout=30,
        )
        response.raise_for_status()
        return response

    def create_database(self, name: str) -> None:
        self.query(f'CREATE DATABASE "{name}"')

    def _wait_ready(self, timeout: float = 20.0) -> None:
        """Until ``/ping`` answers 204."""
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


def influx_config(workdir: Path, http_port: int, rpc_port: int, auth: bool) -> str:
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
  max-body-size = 0

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
"""


@contextlib.contextmanager
def run_influxdb(
    workdir: Path, database: str = INFLUX_DATABASE, admin: tuple[str, str] | None = None
) -> Iterator[InfluxServer]:
    """An ``influxd`` on free loopback ports with ``database`` created. With ``admin``
    (user, password) authentication is on and that admin user is created first."""
    find_binary(*INFLUXD_BINARIES)
    workdir.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    rpc_port = free_port()
    while rpc_port == http_port:
        rpc_port = free_port()
    config = workdir / "influxdb.conf"
    config.write_text(influx_config(workdir, http_port, rpc_port, admin is not None))
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
