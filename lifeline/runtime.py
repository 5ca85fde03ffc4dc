"""Process wiring: the embedded all-in-one stack and the scaled-out roles.

``lifeline up`` (``run_stack``): one process runs the embedded broker (amqtt, unless
``--mqtt-url`` names an external broker), ingest, the rule engine and the API on one
event loop, the engine being the ingester's sink. The embedded broker hands inbound
messages to the ingester in its publish path and PUBACKs them only once they are
durable (``lifeline.broker``, ``ingest.local``), so nothing acknowledged lives only in
broker memory. The simulators, on request, are a child process that dies with the
parent (PDEATHSIG).

Scaled out (docker-compose, systemd), each role is its own process against an external
broker: ``run_ingest`` (shared subscription, publishes records to partition topics),
``run_rules`` (owns partitions), ``run_api`` (asks rules workers to act on alerts).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import uvicorn

from alerts.engine import AlertEngine, EngineOptions
from alerts.notify_memory import BroadcastNotifier
from alerts.notify_mqtt import MqttNotifier
from alerts.remote import alert_partition_key, owned_sources
from alerts.rules import load_rules
from alerts.service import RulesService
from api.app import create_app
from api.auth.bootstrap import prepare_auth
from api.deps import ApiDeps, AuthOptions, ComponentHealth, HealthReport
from api.ops import create_ops_app
from api.remote import MqttActionsBridge
from ingest.config import BatchConfig, MqttConfig
from ingest.local import LocalInbox
from ingest.record_sink import MqttRecordSink
from ingest.service import IngestService
from lifeline import broker
from lifeline.accounts_cli import accounts_dir, issue_embedded_credentials
from lifeline.alert import Alert
from lifeline.errors import ConfigError
from lifeline.mqtt import AlertPublisher, BrokerAddress, parse_mqtt_url
from lifeline.partitions import parse_partitions, partition_of
from lifeline.ports import AlertActions, Background, Clock, TelemetryStore
from lifeline.registry import Registry
from lifeline.registry_follow import follow_registry
from lifeline.seed import generate_registry
from lifeline.settings import Settings
from lifeline.stores import open_telemetry_store
from lifeline.timeutil import now_ms
from store import SqliteAlertStore, SqliteAuthStore, SqliteDeadLetterStore, SqliteRegistryStore

__all__ = ["SystemClock", "run_api", "run_ingest", "run_rules", "run_stack", "start_child"]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the role owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SystemClock:
    def now_ms(self) -> int:
        return now_ms()


class EventClock:
    """The API's "now": event time as the engine sees it (``AlertEngine.event_now_ms``),
    and each source's own feed's (``now_of``: ``AlertEngine.feed_now_ms``)."""

    def __init__(self, engine: AlertEngine) -> None:
        self._engine = engine

    def now_ms(self) -> int:
        return self._engine.event_now_ms()

    def now_of(self, source_id: str) -> int:
        return self._engine.feed_now_ms(source_id)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_child(
    args: Sequence[str], log_name: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python ARGS`` as a child process that dies with us (``env`` added to ours)."""
    process = subprocess.Popen(
        [sys.executable, *args],
        preexec_fn=_die_with_parent,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env} if env else None,
    )
    log.info("child_started", extra={"child": log_name, "pid": process.pid})
    return process


async def load_or_seed_registry(store: SqliteRegistryStore, settings: Settings) -> Registry:
    """The stored registry; seeded deterministically at first start."""
    registry = await store.load()
    if registry is None:
        registry = generate_registry(settings.registry_seed, settings.demo_meters)
        await store.save(registry)
        log.info(
            "registry_seeded",
            extra={
                "channels": len(registry.channels),
                "enterprises": len(registry.enterprises),
                "stations": len(registry.stations),
                "meters": len(registry.meters),
            },
        )
    return registry


async def prepare_api_auth(settings: Settings) -> None:
    """Check the API's secrets (ConfigError outside dev mode without a way to
    administer it), register the bootstrap admin token, create dev accounts."""
    store = SqliteAuthStore(settings.db_path)
    try:
        token = settings.bootstrap_admin_token
        await prepare_auth(
            store,
            dev_mode=settings.dev_mode,
            bootstrap_token=None if token is None else token.get_secret_value() or None,
        )
    finally:
        await store.close()


def _auth_options(settings: Settings) -> AuthOptions:
    return AuthOptions(
        session_ms=int(settings.session_hours * 3_600_000),
        login_failures_per_minute=settings.login_failures_per_minute,
    )


def broker_address(settings: Settings) -> BrokerAddress:
    """The external broker of ``settings`` (with the service account's credentials)."""
    if settings.mqtt_url is None:
        raise ConfigError("this role needs an external broker: set --mqtt-url")
    address = parse_mqtt_url(settings.mqtt_url)
    if settings.mqtt_username is not None and address.username is None:
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        address = replace(address, username=settings.mqtt_username, password=password)
    return address


def _ingest_config(settings: Settings, address: BrokerAddress, **extra: Any) -> MqttConfig:
    return MqttConfig(
        host=address.host,
        port=address.port,
        username=address.username,
        password=address.password,
        prefix=settings.topic_prefix,
        tls=address.tls,
        ca_file=address.ca_file,
        mqtt5=settings.mqtt_v5,
        publisher_property=settings.mqtt_publisher_property,
        **extra,
    )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _api_server(app: Any, settings: Settings, port: int | None = None) -> _QuietServer:
    return _QuietServer(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port if port is None else port,
            log_config=None,
            access_log=False,
            # open live streams (SSE) would otherwise hold a stop for ever
            timeout_graceful_shutdown=3,
            lifespan="on",
        )
    )


class _Closable(Protocol):
    async def close(self) -> None: ...


_C = TypeVar("_C", bound=_Closable)


@dataclass
class _Closables:
    """Things to close on the way out, last opened first."""

    items: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def add(self, close: Callable[[], Awaitable[None]]) -> None:
        self.items.append(close)

    def keep(self, thing: _C) -> _C:
        """Register ``thing.close`` and hand ``thing`` back (``x = closing.keep(Open())``)."""
        self.items.append(thing.close)
        return thing

    async def close(self) -> None:
        for close in reversed(self.items):
            with contextlib.suppress(Exception):
                await close()


def _awaiting(task: asyncio.Task[Any]) -> list[str]:
    """Where a task waits: its chain of awaited coroutines, innermost last."""
    chain: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(chain) < 16:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            chain.append(type(awaited).__name__)
            break
        chain.append(f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return chain


_STOP_GRACE_S = 8.0  # a stop never waits longer for a job (systemd/docker allow 10 s)


async def _run_until_stopped(
    stop: asyncio.Event,
    jobs: dict[str, Coroutine[Any, Any, None]],
    server: _QuietServer | None = None,
    after_start: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run ``jobs`` (and the API server) until a signal or until any job ends (a crash
    stops all); then cancel them all and wait at most ``_STOP_GRACE_S`` seconds. A job
    still running after that is logged by name with where it waits, and left behind:
    the process exits anyway."""
    tasks = {asyncio.create_task(job, name=name): name for name, job in jobs.items()}
    if server is not None:
        tasks[asyncio.create_task(server.serve(), name="api")] = "api"
    stopping = asyncio.create_task(stop.wait(), name="signal")
    failed: BaseException | None = None
    try:
        if after_start is not None:
            await after_start()
        done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in (t for t in tasks if t in done):
            if not task.cancelled() and task.exception() is not None:
                failed = task.exception()
                log.error("job_failed", extra={"job": tasks[task], "error": repr(failed)})
        log.info("lifeline_stopping")
    finally:
        stopping.cancel()
        if server is not None:
            server.should_exit = True
        for task, name in tasks.items():
            if name != "api":
                task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=_STOP_GRACE_S) if tasks else (set(), set())
        for task in pending:
            log.warning(
                "job_did_not_stop", extra={"job": tasks[task], "waiting_at": _awaiting(task)}
            )
    if failed is not None:
        raise failed


def _background(store: TelemetryStore) -> dict[str, Coroutine[Any, Any, None]]:
    return {"telemetry-store": store.run()} if isinstance(store, Background) else {}


def _ingest_health(ingest: IngestService) -> ComponentHealth:
    if not ingest.ready.is_set():
        return ComponentHealth(False, "connecting")
    if retrying := ingest.retrying:
        return ComponentHealth(False, f"retrying {', '.join(sorted(retrying))}")
    return ComponentHealth(True, "subscribed")


def _store_health(store: TelemetryStore) -> ComponentHealth | None:
    health = getattr(store, "health", None)
    if not callable(health):
        return None
    ok, detail = health()
    return ComponentHealth(bool(ok), str(detail))


# --------------------------------------------------------------------------- embedded


@dataclass
class _Children:
    simulator: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        child = self.simulator
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()


@dataclass
class _EmbeddedBroker:
    """``lifeline up``'s own broker: amqtt on this event loop, ingest in its publish path."""

    host: str
    port: int
    auth: broker.BrokerAuth | None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def serve(self, gate: LocalInbox) -> Coroutine[Any, Any, None]:
        return broker.serve(
            self.host, self.port, asyncio.Event(), self.auth, gate=gate, started=self.started
        )

    async def after_start(self, job: Coroutine[Any, Any, None]) -> None:
        """Run ``job`` once the broker listens."""
        try:
            await self.started.wait()
        except BaseException:
            job.close()
            raise
        await job


def simulator_args(settings: Settings, url: str, extra: Sequence[str]) -> list[str]:
    """``lifeline simulate`` flags for the child; ``extra`` (later) overrides ``--speed``."""
    return [
        "-m",
        "lifeline.cli",
        "simulate",
        "--mqtt-url",
        url,
        "--speed",
        str(settings.speed),
        "--data-dir",
        str(settings.data_dir),
        *extra,
    ]


async def run_stack(
    settings: Settings, *, simulate: bool = False, simulate_args: Sequence[str] = ()
) -> None:
    """Run broker (unless external), ingest, rules and API until signalled."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await prepare_api_auth(settings)  # refuses missing/default secrets before anything starts
    simulator_env: dict[str, str] = {}
    embedded: _EmbeddedBroker | None = None
    if settings.mqtt_url is None:
        # Outside development mode the embedded broker is closed: our own processes
        # get fresh service passwords at every start (see docs/security.md).
        address = BrokerAddress(settings.mqtt_host, settings.mqtt_port)
        auth = None
        if not settings.dev_mode:
            passwords = await _embedded_credentials(settings)
            address = replace(address, username="lifeline", password=passwords["lifeline"])
            simulator_env = {
                "LIFELINE_MQTT_USERNAME": "simulator",
                "LIFELINE_MQTT_PASSWORD": passwords["simulator"],
            }
            auth = broker.BrokerAuth.in_directory(accounts_dir(settings))
        embedded = _EmbeddedBroker(settings.mqtt_host, settings.mqtt_port, auth)
    else:
        address = broker_address(settings)
    await _serve_stack(settings, address, embedded, simulate, simulate_args, simulator_env)


async def _embedded_credentials(settings: Settings) -> dict[str, str]:
    """Issue the embedded broker's service passwords (``lifeline``, ``simulator``)."""
    store = SqliteRegistryStore(settings.db_path)
    try:
        registry = await load_or_seed_registry(store, settings)
    finally:
        await store.close()
    return await asyncio.to_thread(issue_embedded_credentials, settings, registry)


async def _serve_stack(
    settings: Settings,
    address: BrokerAddress,
    embedded: _EmbeddedBroker | None,
    simulate: bool,
    simulate_args: Sequence[str],
    simulator_env: Mapping[str, str],
) -> None:
    clock = SystemClock()
    closing = _Closables()
    children = _Children()
    try:
        alert_store = closing.keep(SqliteAlertStore(settings.db_path))
        deadletters = closing.keep(SqliteDeadLetterStore(settings.db_path))
        registry_store = closing.keep(SqliteRegistryStore(settings.db_path))
        registry = await load_or_seed_registry(registry_store, settings)
        telemetry = closing.keep(open_telemetry_store(settings, registry, spool=True))
        auth = closing.keep(SqliteAuthStore(settings.db_path))

        broadcast = BroadcastNotifier()
        publisher = AlertPublisher(address, client_id=f"{settings.mqtt_client_id}-alerts")
        rules = load_rules(settings.rules_file)
        engine = AlertEngine(
            rules,
            registry,
            alert_store,
            [MqttNotifier(publisher, settings.topic_prefix), broadcast],
            clock,
            EngineOptions(state_path=settings.data_dir / "rule_state.msgpack"),
        )
        await engine.start()
        closing.add(engine.stop)
        ingest = IngestService(
            _ingest_config(settings, address, client_id=settings.mqtt_client_id),
            registry,
            telemetry,
            deadletters,
            engine,
            clock=clock,
            batch=BatchConfig.from_settings(settings),
        )

        def health() -> HealthReport:
            report = {
                "ingest": _ingest_health(ingest),
                "alert_publisher": ComponentHealth(publisher.connected, ""),
            }
            if (store := _store_health(telemetry)) is not None:
                report["telemetry_store"] = store
            if embedded is not None:
                up = embedded.started.is_set()
                report["broker"] = ComponentHealth(up, "amqtt, in process" if up else "starting")
            return report

        app = create_app(
            ApiDeps(
                registry=registry,
                telemetry=telemetry,
                alerts=alert_store,
                actions=engine,
                deadletters=deadletters,
                clock=EventClock(engine),
                feeds=EventClock(engine),
                live=broadcast.subscribe,
                health=health,
                rules=rules,
                auth=auth,
                auth_options=_auth_options(settings),
                registry_store=registry_store,
            )
        )

        async def start_simulator() -> None:
            if simulate:
                await ingest.ready.wait()
                # the broker's address without credentials on the command line (ps shows
                # it): they go through the child's environment
                scheme = "mqtts" if address.tls else "mqtt"
                url = f"{scheme}://{address.host}:{address.port}"
                if address.tls and address.ca_file:
                    url += f"?ca_file={address.ca_file}"
                env = dict(simulator_env)
                if not env and address.username is not None:
                    env["LIFELINE_MQTT_USERNAME"] = address.username
                    env["LIFELINE_MQTT_PASSWORD"] = address.password or ""
                children.simulator = start_child(
                    simulator_args(settings, url, simulate_args), "simulator", env
                )

        log.info(
            "lifeline_up",
            extra={
                "api": f"http://{settings.api_host}:{settings.api_port}",
                "mqtt": f"{address.host}:{address.port}",
                "data_dir": str(settings.data_dir),
                "store": settings.store,
            },
        )
        jobs: dict[str, Coroutine[Any, Any, None]]
        if embedded is None:
            jobs = {"alert-publisher": publisher.run(), "ingest": ingest.run()}
        else:
            inbox = LocalInbox(settings.topic_prefix)
            jobs = {
                "broker": embedded.serve(inbox),
                "alert-publisher": embedded.after_start(publisher.run()),
                "ingest": embedded.after_start(ingest.serve_local(inbox, publisher)),
            }
        await _run_until_stopped(
            _stop_on_signals(),
            {**jobs, "engine": engine.run(), **_background(telemetry)},
            _api_server(app, settings),
            start_simulator,
        )
    finally:
        children.stop()
        await closing.close()
        log.info("lifeline_stopped")


# --------------------------------------------------------------------------- roles


async def run_ingest(settings: Settings) -> None:
    """An ingest worker: shared subscription, store (+ spool), records to partitions."""
    address = broker_address(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    closing = _Closables()
    try:
        deadletters = closing.keep(SqliteDeadLetterStore(settings.db_path))
        registry_store = closing.keep(SqliteRegistryStore(settings.db_path))
        registry = await load_or_seed_registry(registry_store, settings)
        telemetry = closing.keep(open_telemetry_store(settings, registry, spool=True))
        client_id = f"{settings.mqtt_client_id}-{settings.instance}"
        sink = MqttRecordSink(
            address, client_id=f"{client_id}-records", partitions=settings.partitions
        )
        closing.add(sink.close)
        ingest = IngestService(
            _ingest_config(
                settings, address, client_id=client_id, shared_group=settings.ingest_shared_group
            ),
            registry,
            telemetry,
            deadletters,
            sink,
            batch=BatchConfig.from_settings(settings),
        )

        def health() -> HealthReport:
            report = {"ingest": _ingest_health(ingest)}
            if (store := _store_health(telemetry)) is not None:
                report["telemetry_store"] = store
            return report

        ops = _api_server(
            create_ops_app(health, "lifeline ingest"), settings, settings.metrics_port
        )
        log.info("lifeline_ingest", extra={"client_id": client_id, "store": settings.store})
        await _run_until_stopped(
            _stop_on_signals(),
            {
                "ingest": ingest.run(),
                "registry": follow_registry(registry_store, registry),
                **_background(telemetry),
            },
            ops,
        )
    finally:
        await closing.close()


def _owned_by(partitions: frozenset[int], total: int) -> Callable[[Alert], bool]:
    def owns(alert: Alert) -> bool:
        return partition_of(alert_partition_key(alert), total) in partitions

    return owns


async def run_rules(settings: Settings) -> None:
    """A rules worker owning ``settings.rules_partitions`` of ``settings.partitions``."""
    address = broker_address(settings)
    owned = parse_partitions(settings.rules_partitions, settings.partitions)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tag = settings.rules_partitions.replace(",", "_")
    closing = _Closables()
    try:
        alert_store = closing.keep(SqliteAlertStore(settings.db_path))
        registry_store = closing.keep(SqliteRegistryStore(settings.db_path))
        registry = await load_or_seed_registry(registry_store, settings)
        publisher = AlertPublisher(address, client_id=f"lifeline-rules-{tag}-alerts")
        engine = AlertEngine(
            load_rules(settings.rules_file),
            registry,
            alert_store,
            [MqttNotifier(publisher, settings.topic_prefix)],
            SystemClock(),
            EngineOptions(
                state_path=settings.data_dir / f"rule_state-{tag}.msgpack",
                owns=_owned_by(owned, settings.partitions),
                owns_source=owned_sources(registry, owned, settings.partitions),
            ),
        )
        await engine.start()
        closing.add(engine.stop)
        service = RulesService(engine, address, partitions=owned, client_id=f"lifeline-rules-{tag}")

        def health() -> HealthReport:
            subscribed = service.ready.is_set()
            return {
                "rules": ComponentHealth(subscribed, f"partitions {settings.rules_partitions}"),
                "alert_publisher": ComponentHealth(publisher.connected, ""),
            }

        ops = _api_server(create_ops_app(health, "lifeline rules"), settings, settings.metrics_port)
        log.info("lifeline_rules", extra={"partitions": sorted(owned)})
        await _run_until_stopped(
            _stop_on_signals(),
            {
                "alert-publisher": publisher.run(),
                "engine": engine.run(),
                "rules": service.run(),
                "registry": follow_registry(registry_store, registry),
            },
            ops,
        )
    finally:
        await closing.close()


async def run_api(settings: Settings) -> None:
    """The API/dashboard: reads the stores, acts on alerts through the rules workers."""
    address = broker_address(settings)
    await prepare_api_auth(settings)
    closing = _Closables()
    try:
        alert_store = closing.keep(SqliteAlertStore(settings.db_path))
        auth = closing.keep(SqliteAuthStore(settings.db_path))
        deadletters = closing.keep(SqliteDeadLetterStore(settings.db_path))
        registry_store = closing.keep(SqliteRegistryStore(settings.db_path))
        registry = await load_or_seed_registry(registry_store, settings)
        telemetry = closing.keep(open_telemetry_store(settings, registry, spool=False))
        broadcast = BroadcastNotifier()
        bridge = MqttActionsBridge(
            address,
            alert_store,
            broadcast,
            partitions=settings.partitions,
            prefix=settings.topic_prefix,
        )
        closing.add(bridge.close)

        def health() -> HealthReport:
            return {"broker": ComponentHealth(bridge.connected, "actions and live stream")}

        actions: AlertActions = bridge
        clock: Clock = SystemClock()
        app = create_app(
            ApiDeps(
                registry=registry,
                telemetry=telemetry,
                alerts=alert_store,
                actions=actions,
                deadletters=deadletters,
                clock=clock,
                live=broadcast.subscribe,
                health=health,
                rules=load_rules(settings.rules_file),
                auth=auth,
                auth_options=_auth_options(settings),
                registry_store=registry_store,
            )
        )
        await _run_until_stopped(
            _stop_on_signals(),
            {"bridge": bridge.run(), "registry": follow_registry(registry_store, registry)},
            _api_server(app, settings),
        )
    finally:
        await closing.close()
