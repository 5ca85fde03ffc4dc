"""``lifeline up``: the whole embedded stack in one process tree.

Children: the embedded broker (amqtt, unless ``--mqtt-url`` names an external broker)
and, on request, the simulators. The main process runs the ingester, the rule engine
and the API/dashboard on one event loop. Children die with the parent (PDEATHSIG), so a
``kill -9`` of ``lifeline up`` leaves no broker holding the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import aiomqtt
import uvicorn

from alerts.engine import AlertEngine, EngineOptions
from alerts.notify_memory import BroadcastNotifier
from alerts.notify_mqtt import MqttNotifier
from alerts.rules import load_rules
from api.app import create_app
from api.deps import ApiDeps, ComponentHealth, HealthReport
from ingest.config import BatchConfig, MqttConfig
from ingest.service import IngestService
from lifeline.mqtt import AlertPublisher, BrokerAddress, parse_mqtt_url
from lifeline.registry import Registry
from lifeline.seed import generate_registry
from lifeline.settings import Settings
from lifeline.timeutil import now_ms
from store import (
    SqliteAlertStore,
    SqliteDeadLetterStore,
    SqliteRegistryStore,
    SqliteTelemetryStore,
)

__all__ = ["SystemClock", "run_stack", "start_child"]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: ``run_stack`` owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SystemClock:
    def now_ms(self) -> int:
        return now_ms()


class EventClock:
    """The API's "now": event time as the engine sees it (see AlertEngine.event_now_ms)."""

    def __init__(self, engine: AlertEngine) -> None:
        self._engine = engine

    def now_ms(self) -> int:
        return self._engine.event_now_ms()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_child(args: Sequence[str], log_name: str) -> subprocess.Popen[bytes]:
    """Start ``python -m ...`` or ``lifeline ...`` as a child that dies with us."""
    process = subprocess.Popen(
        [sys.executable, *args], preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL
    )
    log.info("child_started", extra={"child": log_name, "pid": process.pid})
    return process


async def _wait_for_broker(host: str, port: int, timeout_s: float = 20.0) -> None:
    """Wait until the broker accepts an MQTT connection (a bare TCP probe would make
    amqtt log a spurious 'no data' error)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            async with aiomqtt.Client(host, port, identifier="lifeline-probe", timeout=2):
                return
        except aiomqtt.MqttError:
            if loop.time() > deadline:
                raise TimeoutError(f"broker did not accept MQTT on {host}:{port}") from None
            await asyncio.sleep(0.1)


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


@dataclass
class _Children:
    broker: subprocess.Popen[bytes] | None = None
    simulator: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        for child in (self.simulator, self.broker):
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(5)
                except subprocess.TimeoutExpired:
                    child.kill()


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
    """Run broker (unless external), ingest, rules and API until cancelled or signalled."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    children = _Children()
    try:
        if settings.mqtt_url is None:
            children.broker = start_child(
                [
                    "-m",
                    "lifeline.broker",
                    "--host",
                    settings.mqtt_host,
                    "--port",
                    str(settings.mqtt_port),
                    "--log-level",
                    settings.log_level,
                ],
                "broker",
            )
            await _wait_for_broker(settings.mqtt_host, settings.mqtt_port)
            address = BrokerAddress(settings.mqtt_host, settings.mqtt_port)
        else:
            address = parse_mqtt_url(settings.mqtt_url)
        if settings.mqtt_username is not None:
            password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
            address = BrokerAddress(address.host, address.port, settings.mqtt_username, password)
        await _serve(settings, address, children, simulate, simulate_args)
    finally:
        children.stop()


async def _serve(
    settings: Settings,
    address: BrokerAddress,
    children: _Children,
    simulate: bool,
    simulate_args: Sequence[str],
) -> None:
    clock = SystemClock()
    telemetry = SqliteTelemetryStore(settings.data_dir / "telemetry.db")
    alert_store = SqliteAlertStore(settings.db_path)
    deadletters = SqliteDeadLetterStore(settings.db_path)
    registry_store = SqliteRegistryStore(settings.db_path)
    registry = await load_or_seed_registry(registry_store, settings)

    broadcast = BroadcastNotifier()
    publisher = AlertPublisher(address, client_id=f"{settings.mqtt_client_id}-alerts")
    engine = AlertEngine(
        load_rules(settings.rules_file),
        registry,
        alert_store,
        [MqttNotifier(publisher, settings.topic_prefix), broadcast],
        clock,
        EngineOptions(state_path=settings.data_dir / "rule_state.msgpack"),
    )
    await engine.start()
    mqtt = MqttConfig(
        host=address.host,
        port=address.port,
        username=address.username,
        password=address.password,
        client_id=settings.mqtt_client_id,
        prefix=settings.topic_prefix,
    )
    ingest = IngestService(
        mqtt,
        registry,
        telemetry,
        deadletters,
        engine,
        clock=clock,
        batch=BatchConfig.from_settings(settings),
    )

    def health() -> HealthReport:
        report = {
            "ingest": ComponentHealth(
                ingest.ready.is_set(), "subscribed" if ingest.ready.is_set() else "connecting"
            ),
            "alert_publisher": ComponentHealth(publisher.connected, ""),
        }
        if children.broker is not None:
            alive = children.broker.poll() is None
            report["broker"] = ComponentHealth(alive, "amqtt" if alive else "exited")
        return report

    app = create_app(
        ApiDeps(
            registry=registry,
            telemetry=telemetry,
            alerts=alert_store,
            actions=engine,
            deadletters=deadletters,
            clock=EventClock(engine),
            live=broadcast.subscribe,
            health=health,
        )
    )
    server = _QuietServer(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "lifeline_up",
        extra={
            "api": f"http://{settings.api_host}:{settings.api_port}",
            "mqtt": f"{address.host}:{address.port}",
            "data_dir": str(settings.data_dir),
        },
    )
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(publisher.run(), name="alert-publisher"),
                group.create_task(engine.run(), name="engine"),
                group.create_task(ingest.run(), name="ingest"),
                group.create_task(server.serve(), name="api"),
            ]
            if simulate:
                await ingest.ready.wait()
                url = f"mqtt://{address.host}:{address.port}"
                children.simulator = start_child(
                    simulator_args(settings, url, simulate_args), "simulator"
                )
            await stop.wait()
            log.info("lifeline_stopping")
            server.should_exit = True
            for task in tasks:
                if task.get_name() != "api":
                    task.cancel()
    finally:
        children.stop()
        with contextlib.suppress(Exception):
            await engine.stop()
        for closable in (telemetry, alert_store, deadletters, registry_store):
            with contextlib.suppress(Exception):
                await closable.close()
        log.info("lifeline_stopped")
