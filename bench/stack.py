"""The system under test: services plus Lifeline processes, started on free ports.

:class:`Stack` starts (as context manager) the broker (Mosquitto with a generated config,
or the embedded amqtt broker inside ``lifeline up``), InfluxDB when the store is
``influx``, and Lifeline:

- ``ingest_workers == 1``: one ``lifeline up`` (ingest + rules + API in one process);
- ``ingest_workers > 1``: ``lifeline api``, ``lifeline ingest`` x N on the shared
  subscription and one ``lifeline rules`` (all partitions), as in production.

``kill``/``restart`` act on one process by name (``up``, ``api``, ``ingest-1``, ...,
``rules``), which the drills use; ``pids`` names every process for the CPU/memory probe.

``accounts=True`` runs the stack as a utility does, outside development mode: the MQTT
accounts are issued by ``lifeline accounts`` (once per bench process for a registry
size, then copied into each stack's data directory, as issuing 140 accounts takes
about 12 s), Mosquitto loads the generated ``passwd`` and ``acl`` and refuses anonymous
clients, the Lifeline processes log in with the ``lifeline`` service account, the
embedded broker loads its generated files, and :meth:`Stack.target` carries the
passwords of the utilities the bench publishes for (:data:`PUBLISHING_UTILITIES`: every
gas utility and the heat utilities owning the most stations), each publishing only its
own devices. Without it (the default, for the benches) the brokers are anonymous and
the embedded one runs in development mode.
:class:`Target` instead points at a stack someone else runs (``--api``/``--mqtt-url``).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from bench.api_auth import bootstrap_token
from bench.services import (
    InfluxServer,
    MosquittoServer,
    free_port,
    run_influxdb,
    run_mosquitto,
)
from lifeline.mqtt import BrokerAddress, parse_mqtt_url
from lifeline.seed import generate_registry

__all__ = ["PUBLISHING_HEAT_UTILITIES", "Stack", "StackOptions", "Target", "publishing_utilities"]

PUBLISHING_HEAT_UTILITIES = 3  # the heat utilities with the most stations publish


@dataclass(frozen=True, slots=True)
class StackOptions:
    workdir: Path
    broker: str = "mosquitto"  # "mosquitto" | "embedded"
    store: str = "sqlite"  # "sqlite" | "influx" | an influx://HOST:PORT/DB URL
    ingest_workers: int = 1
    scaled_out: bool = False  # api + ingest x N + rules even for N = 1
    meters: int = 20_000
    spool_max_bytes: int | None = None
    env: tuple[tuple[str, str], ...] = ()  # extra LIFELINE_* settings
    profile: bool = False  # run each Lifeline process under cProfile (workdir/NAME.prof)
    accounts: bool = False  # outside development mode, with `lifeline accounts` accounts

    @property
    def separate_roles(self) -> bool:
        return self.scaled_out or self.ingest_workers > 1

    def __post_init__(self) -> None:
        if self.broker not in ("mosquitto", "embedded"):
            raise ValueError("broker must be mosquitto or embedded")
        if self.ingest_workers < 1:
            raise ValueError("ingest_workers must be at least 1")
        if self.broker == "embedded" and self.separate_roles:
            raise ValueError("several ingest workers need Mosquitto (shared subscriptions)")


@dataclass(frozen=True, slots=True)
class Target:
    """Where the bench publishes and what it reads back."""

    api_url: str
    mqtt: BrokerAddress
    store_url: str  # sqlite:///PATH/telemetry.db or influx://HOST:PORT/DB
    metrics_urls: tuple[str, ...] = ()
    accounts: tuple[tuple[str, str], ...] = ()  # (utility, password): publish as them

    @classmethod
    def external(cls, api_url: str, mqtt_url: str, store_url: str) -> Target:
        return cls(api_url.rstrip("/"), parse_mqtt_url(mqtt_url), store_url, (api_url,))


@dataclass
class _Process:
    args: list[str]
    env: dict[str, str]
    log: Path
    ops_port: int | None = None
    profile: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        prefix = [] if self.profile is None else ["-m", "cProfile", "-o", str(self.profile)]
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, *prefix, "-m", "lifeline.cli", *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def signal(self, sig: int, grace_s: float = 20.0) -> bool:
        """Send ``sig`` and wait for the exit, SIGKILL after ``grace_s``; False when it
        had to be SIGKILLed (it did not exit on its own)."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
                return sig == signal.SIGKILL
        return True


@dataclass
class Stack:
    """See the module docstring; use as a context manager."""

    options: StackOptions
    mosquitto: MosquittoServer | None = None
    influx: InfluxServer | None = None
    api_port: int = field(default_factory=free_port)
    mqtt_port: int = field(default_factory=free_port)
    processes: dict[str, _Process] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # issued MQTT accounts
    _exit: ExitStack = field(default_factory=ExitStack)

    def __enter__(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- properties

    @property
    def data_dir(self) -> Path:
        return self.options.workdir / "data"

    @property
    def mqtt(self) -> BrokerAddress:
        if self.mosquitto is not None:
            return BrokerAddress(self.mosquitto.host, self.mosquitto.port)
        return BrokerAddress("127.0.0.1", self.mqtt_port)

    @property
    def store_url(self) -> str:
        if self.influx is not None:
            return self.influx.store_url
        if self.options.store.startswith("influx://"):
            return self.options.store
        return f"sqlite://{(self.data_dir / 'telemetry.db').resolve()}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def target(self) -> Target:
        urls = [self.api_url] if "up" in self.processes else []
        urls += [
            f"http://127.0.0.1:{p.ops_port}"
            for p in self.processes.values()
            if p.ops_port is not None
        ]
        accounts = tuple(
            (name, self.passwords[name])
            for name in publishing_utilities(self.options.meters)
            if self.passwords
        )
        return Target(self.api_url, self.mqtt, self.store_url, tuple(urls), accounts)

    def pids(self) -> dict[str, int]:
        """Every process of the system under test by name (services included)."""
        out = {
            name: p.popen.pid
            for name, p in self.processes.items()
            if p.popen is not None and p.popen.poll() is None
        }
        if self.mosquitto is not None and self.mosquitto.pid is not None:
            out["mosquitto"] = self.mosquitto.pid
        if self.influx is not None and self.influx.pid is not None:
            out["influxd"] = self.influx.pid
        return out

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.options.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # ----------------------------------------------------------------- control

    def kill(self, name: str, sig: int = signal.SIGKILL, grace_s: float = 20.0) -> bool:
        """Signal ``name`` and wait for it to exit; False if it needed a SIGKILL after
        ``grace_s``."""
        return self.processes[name].signal(sig, grace_s)

    def restart(self, name: str, timeout_s: float = 60.0) -> None:
        """Start ``name`` again (after :meth:`kill`) and wait until it is ready."""
        process = self.processes[name]
        process.signal(signal.SIGTERM)
        process.start()
        self._wait_ready(name, timeout_s)

    def close(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.signal(signal.SIGTERM)
        self._exit.close()

    # ----------------------------------------------------------------- start-up

    def _start(self) -> None:
        options = self.options
        options.workdir.mkdir(parents=True, exist_ok=True)
        extra = ""
        if options.accounts:
            self.passwords = _copy_accounts(options.meters, self.data_dir)
            broker = self.data_dir / "broker"
            extra = "\n".join(
                [
                    "allow_anonymous false",
                    f"password_file {broker / 'passwd'}",
                    f"acl_file {broker / 'acl'}",
                ]
            )
        if options.broker == "mosquitto":
            self.mosquitto = self._exit.enter_context(
                run_mosquitto(options.workdir / "mosquitto", extra)
            )
        if options.store == "influx":
            self.influx = self._exit.enter_context(run_influxdb(options.workdir / "influxdb"))
        env = self._env()
        if not options.separate_roles:
            args = ["up", "--api-port", str(self.api_port), "--no-simulate"]
            if self.mosquitto is not None:
                args += ["--mqtt-url", self.mosquitto.url]
            else:
                args += ["--mqtt-port", str(self.mqtt_port)]
            self._add("up", args, env)
            self._wait_ready("up")
            return
        self._add("api", ["api", "--api-port", str(self.api_port)], env)
        self._wait_ready("api")  # the first process seeds the registry
        for n in range(1, options.ingest_workers + 1):
            self._add(f"ingest-{n}", ["ingest"], {**env, "LIFELINE_INSTANCE": f"i{n}"}, ops=True)
        self._add("rules", ["rules", "--partitions", "all"], env, ops=True)
        for name in self.processes:
            self._wait_ready(name)

    def _env(self) -> dict[str, str]:
        options = self.options
        env = {
            **os.environ,
            "LIFELINE_DATA_DIR": str(self.data_dir),
            "LIFELINE_DEMO_METERS": str(options.meters),
            "LIFELINE_STORE": self.store_url,
            "LIFELINE_LOG_LEVEL": "WARNING",
            **dict(options.env),
        }
        env.setdefault("LIFELINE_BOOTSTRAP_ADMIN_TOKEN", bootstrap_token())
        if options.accounts:
            env["LIFELINE_DEV_MODE"] = "0"
            if self.mosquitto is not None:
                env["LIFELINE_MQTT_USERNAME"] = "lifeline"
                env["LIFELINE_MQTT_PASSWORD"] = self.passwords["lifeline"]
        if self.mosquitto is not None:
            env["LIFELINE_MQTT_URL"] = self.mosquitto.url
        elif not options.accounts:  # the embedded broker: the bench's publishers are anonymous
            env.setdefault("LIFELINE_DEV_MODE", "1")
        if options.spool_max_bytes is not None:
            env["LIFELINE_SPOOL_MAX_BYTES"] = str(options.spool_max_bytes)
        return env

    def _add(self, name: str, args: list[str], env: dict[str, str], ops: bool = False) -> None:
        ops_port = free_port() if ops else None
        if ops_port is not None:
            env = {**env, "LIFELINE_METRICS_PORT": str(ops_port)}
        workdir = self.options.workdir
        profile = workdir / f"{name}.prof" if self.options.profile else None
        process = _Process(args, env, workdir / f"{name}.log", ops_port, profile)
        self.processes[name] = process
        process.start()

    def _wait_ready(self, name: str, timeout_s: float = 60.0) -> None:
        process = self.processes[name]
        port = self.api_port if process.ops_port is None else process.ops_port
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.popen is not None and process.popen.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} not healthy after {timeout_s}s:\n{self.log_tail(name)}")


def publishing_utilities(meters: int) -> list[str]:
    """The utilities a stack with accounts publishes for: every gas utility (they own the
    channels and meters) and the :data:`PUBLISHING_HEAT_UTILITIES` heat utilities with
    the most stations."""
    registry = generate_registry(meters=meters)
    gas = sorted({c.owner for c in registry.channels.values()})
    stations = Counter(
        registry.enterprises[s.enterprise_id].owner for s in registry.stations.values()
    )
    heat = sorted(stations, key=lambda owner: (-stations[owner], owner))
    return gas + heat[:PUBLISHING_HEAT_UTILITIES]


@functools.cache
def _issued_accounts(meters: int) -> tuple[Path, tuple[tuple[str, str], ...]]:
    """Run ``lifeline accounts`` once for a registry of ``meters`` meters: the data
    directory it wrote (registry and broker files) and the passwords it printed."""
    data_dir = Path(tempfile.mkdtemp(prefix="lifeline-bench-accounts-"))
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    env = {
        **os.environ,
        "LIFELINE_DEMO_METERS": str(meters),
        "LIFELINE_DEV_MODE": "0",
        "LIFELINE_LOG_LEVEL": "WARNING",
    }
    issued = subprocess.run(
        [sys.executable, "-m", "lifeline.cli", "accounts", "--data-dir", str(data_dir)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    passwords = tuple(
        (fields[0], fields[2])
        for fields in (line.split("\t") for line in issued.stdout.splitlines())
        if len(fields) == 3
    )
    return data_dir, passwords


def _copy_accounts(meters: int, data_dir: Path) -> dict[str, str]:
    """A fresh data directory holding the issued accounts; ``{account: password}``."""
    source, passwords = _issued_accounts(meters)
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "broker", data_dir / "broker", dirs_exist_ok=True)
    for db in source.glob("lifeline.db*"):
        shutil.copy2(db, data_dir / db.name)
    return dict(passwords)
