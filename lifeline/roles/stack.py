"""``lifeline up``: the embedded all-in-one stack.

One process runs the embedded broker (amqtt, unless ``--mqtt-url`` names an external
broker), ingest, the rule engine and the API on one event loop, the engine being the
ingester's sink. The embedded broker hands inbound messages to the ingester in its
publish path and PUBACKs them only once they are durable (``lifeline.broker``,
``ingest.local``), so nothing acknowledged lives only in broker memory. The simulators,
on request, are a child process that dies with the parent (PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from alerts.engine import EngineOptions
from alerts.notify_memory import BroadcastNotifier
from api.deps import ComponentHealth, HealthReport
from ingest.config import BatchConfig
from ingest.local import LocalInbox
from ingest.service import IngestService
from lifeline import broker
from lifeline.account_files import accounts_dir, issue_embedded_credentials
from lifeline.core.timeutil import SystemClock
from lifeline.mqtt import AlertPublisher, BrokerAddress
from lifeline.roles.process import (
    Children,
    Closables,
    api_server,
    run_until_stopped,
    start_child,
    stop_on_signals,
)
from lifeline.roles.stores import Stores
from lifeline.roles.wiring import (
    background,
    broker_address,
    build_api,
    ingest_config,
    ingest_health,
    load_rules_in_use,
    prepare_api_auth,
    start_alerting,
    store_health,
)
from lifeline.settings import Settings

__all__ = ["run_stack", "simulator_args"]

log = logging.getLogger(__name__)


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
    closing = Closables()
    children = Children()
    try:
        stores = Stores(settings, closing, writes_telemetry=True)
        await prepare_api_auth(settings, stores)  # refuses missing/default secrets first
        simulator_env: dict[str, str] = {}
        embedded: _EmbeddedBroker | None = None
        if settings.mqtt_url is None:
            # Outside development mode the embedded broker is closed: our own processes
            # get fresh service passwords at every start (see docs/security.md).
            address = BrokerAddress(settings.mqtt_host, settings.mqtt_port)
            auth = None
            if not settings.dev_mode:
                registry = await stores.registry()
                passwords = await asyncio.to_thread(issue_embedded_credentials, settings, registry)
                address = replace(address, username="lifeline", password=passwords["lifeline"])
                simulator_env = {
                    "LIFELINE_MQTT_USERNAME": "simulator",
                    "LIFELINE_MQTT_PASSWORD": passwords["simulator"],
                }
                auth = broker.BrokerAuth.in_directory(accounts_dir(settings))
            embedded = _EmbeddedBroker(settings.mqtt_host, settings.mqtt_port, auth)
        else:
            address = broker_address(settings)
        await _serve_stack(
            settings,
            _Parts(stores, closing, children),
            address,
            embedded,
            simulate,
            simulate_args,
            simulator_env,
        )
    finally:
        children.stop()
        await closing.close()
        log.info("lifeline_stopped")


def _simulator_child_env(
    address: BrokerAddress, simulator_env: Mapping[str, str]
) -> tuple[str, dict[str, str]]:
    """The broker's URL for the simulator child and its credentials, which go through its
    environment, never its command line (``ps`` shows that)."""
    url = f"{'mqtts' if address.tls else 'mqtt'}://{address.host}:{address.port}"
    if address.tls and address.ca_file:
        url += f"?ca_file={address.ca_file}"
    env = dict(simulator_env)
    if not env and address.username is not None:
        env["LIFELINE_MQTT_USERNAME"] = address.username
        env["LIFELINE_MQTT_PASSWORD"] = address.password or ""
    return url, env


@dataclass(frozen=True)
class _Parts:
    """What ``run_stack`` opened and closes: the stores, closables, the simulator child."""

    stores: Stores
    closing: Closables
    children: Children


async def _serve_stack(
    settings: Settings,
    parts: _Parts,
    address: BrokerAddress,
    embedded: _EmbeddedBroker | None,
    simulate: bool,
    simulate_args: Sequence[str],
    simulator_env: Mapping[str, str],
) -> None:
    stores, closing, children = parts.stores, parts.closing, parts.children
    registry = await stores.registry()
    telemetry = await stores.telemetry()
    broadcast = BroadcastNotifier()
    publisher = AlertPublisher(address, client_id=f"{settings.mqtt_client_id}-alerts")
    rules = await load_rules_in_use(settings, stores)
    alerting = await start_alerting(
        settings,
        stores,
        closing,
        publisher,
        rules=rules.rules,
        options=EngineOptions(state_path=settings.data_dir / "rule_state.msgpack"),
        notifiers=(broadcast,),
    )
    engine = alerting.engine
    ingest = IngestService(
        ingest_config(settings, address, client_id=settings.mqtt_client_id),
        registry,
        telemetry,
        stores.deadletters,
        engine,
        clock=SystemClock(),
        batch=BatchConfig.from_settings(settings),
    )

    def health() -> HealthReport:
        report = {
            "ingest": ingest_health(ingest),
            "alert_publisher": ComponentHealth(publisher.connected, ""),
            **store_health(telemetry),
        }
        if embedded is not None:
            up = embedded.started.is_set()
            report["broker"] = ComponentHealth(up, "amqtt, in process" if up else "starting")
        return report | alerting.health()

    app = await build_api(
        settings,
        stores,
        actions=engine,
        clock=engine.times,
        feeds=engine.times,
        health=health,
        live=broadcast.subscribe,
        rules=rules,
        notify=alerting.center,
        maintenance_changed=alerting.maintenance.wake,
    )

    async def start_simulator() -> None:
        if simulate:
            await ingest.ready.wait()
            url, env = _simulator_child_env(address, simulator_env)
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
    await run_until_stopped(
        stop_on_signals(),
        {
            **jobs,
            **alerting.jobs(),
            **background(telemetry),
        },
        api_server(app, settings),
        start_simulator,
    )
