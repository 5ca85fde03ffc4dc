"""What every role builds the same way: clocks, broker address, the rule engine, the
API's dependencies, health reports and checks of the API's secrets.

A role module (``stack``, ``ingest``, ``rules``, ``api``) composes these; nothing else
imports ``lifeline.roles`` but the CLI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

import msgspec

from alerts.engine import AlertEngine, EngineOptions
from alerts.maintenance import MaintenanceSchedule
from alerts.maintenance_runner import MaintenanceRunner
from alerts.notify.center import NotificationCenter, build_receivers
from alerts.notify.config import load_notify_config
from alerts.notify_mqtt import MqttNotifier
from alerts.remote import alert_partition_key
from alerts.rule_documents import RulesInUse, rules_in_use
from alerts.rules import RuleSet
from api.app import create_app
from api.auth.bootstrap import prepare_auth
from api.deps import ApiDeps, AuthOptions, ComponentHealth, HealthCheck, LiveFeed
from ingest.config import MqttConfig
from ingest.service import IngestService
from lifeline.core.alert import Alert
from lifeline.core.errors import ConfigError
from lifeline.core.partitions import partition_of
from lifeline.core.ports import (
    AlertActions,
    Background,
    Clock,
    FeedClock,
    Notifier,
    NotifyView,
    TelemetryStore,
)
from lifeline.core.timeutil import SystemClock
from lifeline.mqtt import AlertPublisher, BrokerAddress, parse_mqtt_url
from lifeline.roles.process import Closables
from lifeline.roles.stores import Stores
from lifeline.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "Alerting",
    "background",
    "broker_address",
    "build_api",
    "ingest_config",
    "ingest_health",
    "load_rules_in_use",
    "notification_center",
    "owned_by",
    "prepare_api_auth",
    "start_alerting",
    "store_health",
]


async def prepare_api_auth(settings: Settings, stores: Stores) -> None:
    """Check the API's secrets (ConfigError outside dev mode without a way to
    administer it), register the bootstrap admin token, create dev accounts."""
    token = settings.bootstrap_admin_token
    await prepare_auth(
        stores.auth,
        dev_mode=settings.dev_mode,
        bootstrap_token=None if token is None else token.get_secret_value() or None,
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


def ingest_config(settings: Settings, address: BrokerAddress, **extra: Any) -> MqttConfig:
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


@dataclass(frozen=True)
class Alerting:
    """The rule engine, the runner of its maintenance windows and, with a notify file,
    its notification centre."""

    engine: AlertEngine
    center: NotificationCenter | None
    maintenance: MaintenanceRunner

    def jobs(self) -> dict[str, Coroutine[Any, Any, None]]:
        jobs = {"engine": self.engine.run(), "maintenance": self.maintenance.run()}
        if self.center is not None:
            jobs["notifications"] = self.center.run()
        return jobs

    def health(self) -> dict[str, ComponentHealth]:
        if self.center is None:
            return {}
        return {"notifications": ComponentHealth(*self.center.health())}


async def start_alerting(
    settings: Settings,
    stores: Stores,
    closing: Closables,
    publisher: AlertPublisher,
    *,
    rules: RuleSet,
    options: EngineOptions,
    notifiers: tuple[Notifier, ...] = (),
    worker: str = "engine",
) -> Alerting:
    """The rule engine, started (its state loaded) and stopped by ``closing``, and the
    notification centre of ``settings.notify_file`` (checked here, at start), which the
    engine wakes at every transition. The engine's new alerts of a source in maintenance
    are suppressed (the schedule is loaded before it starts); ``worker`` names this
    engine in the maintenance store's progress (one per rules worker)."""
    center = await notification_center(settings, stores, closing, rules)
    registry = await stores.registry()
    clock = SystemClock()
    schedule = MaintenanceSchedule(registry)
    await schedule.refresh(stores.maintenance, clock.now_ms())
    engine = AlertEngine(
        rules,
        registry,
        stores.alerts,
        [
            MqttNotifier(publisher, settings.topic_prefix),
            *notifiers,
            *((center,) if center is not None else ()),
        ],
        clock,
        msgspec.structs.replace(options, suppressed=schedule.reason),
    )
    await engine.start()
    closing.add(engine.stop)
    runner = MaintenanceRunner(
        schedule,
        stores.maintenance,
        stores.alerts,
        engine,
        engine.open,
        registry,
        clock,
        worker=worker,
    )
    return Alerting(engine, center, runner)


async def load_rules_in_use(settings: Settings, stores: Stores) -> RulesInUse:
    """The rules to run: the rules file, or an administrator's saved edit of it
    (``alerts.rule_documents``)."""
    return await rules_in_use(settings.rules_file, stores.rule_sets)


async def build_api(
    settings: Settings,
    stores: Stores,
    *,
    actions: AlertActions,
    clock: Clock,
    health: HealthCheck,
    live: LiveFeed,
    rules: RulesInUse,
    feeds: FeedClock | None = None,
    notify: NotifyView | None = None,
    maintenance_changed: Callable[[], None] | None = None,
) -> Any:
    """The API/dashboard app over ``stores`` (the FastAPI app of ``api.app``)."""
    return create_app(
        ApiDeps(
            registry=await stores.registry(),
            telemetry=await stores.telemetry(),
            alerts=stores.alerts,
            actions=actions,
            deadletters=stores.deadletters,
            clock=clock,
            feeds=feeds,
            live=live,
            health=health,
            rules=rules.rules,
            rules_in_use=rules,
            auth=stores.auth,
            auth_options=AuthOptions(
                session_ms=int(settings.session_hours * 3_600_000),
                login_failures_per_minute=settings.login_failures_per_minute,
            ),
            registry_store=stores.registry_store,
            notify=notify,
            maintenance=stores.maintenance,
            maintenance_changed=maintenance_changed,
            rule_sets=stores.rule_sets,
        )
    )


def background(store: TelemetryStore) -> dict[str, Coroutine[Any, Any, None]]:
    """The store's own job, if it has one (the spool's drain)."""
    return {"telemetry-store": store.run()} if isinstance(store, Background) else {}


def ingest_health(ingest: IngestService) -> ComponentHealth:
    if not ingest.ready.is_set():
        return ComponentHealth(False, "connecting")
    if retrying := ingest.retrying:
        return ComponentHealth(False, f"retrying {', '.join(sorted(retrying))}")
    return ComponentHealth(True, "subscribed")


def store_health(store: TelemetryStore) -> dict[str, ComponentHealth]:
    """``{"telemetry_store": …}`` for a store that reports its health, else ``{}``."""
    health = getattr(store, "health", None)
    if not callable(health):
        return {}
    ok, detail = health()
    return {"telemetry_store": ComponentHealth(bool(ok), str(detail))}


def owned_by(partitions: frozenset[int], total: int) -> Callable[[Alert], bool]:
    """Whether a rules worker owning ``partitions`` of ``total`` owns an alert."""

    def owns(alert: Alert) -> bool:
        return partition_of(alert_partition_key(alert), total) in partitions

    return owns


async def notification_center(
    settings: Settings, stores: Stores, closing: Closables, rules: RuleSet
) -> NotificationCenter | None:
    """The notification centre of ``settings.notify_file`` (None without one); its file
    and receivers are checked here, at start (ConfigError names the fault)."""
    if settings.notify_file is None:
        return None
    config = load_notify_config(settings.notify_file)
    receivers = build_receivers(config)
    center = NotificationCenter(
        config,
        receivers,
        stores.notifications,
        stores.alerts,
        await stores.registry(),
        rules,
        SystemClock(),
        instance=settings.instance,
    )
    closing.add(center.close)
    log.info(
        "notifications_configured",
        extra={"receivers": len(receivers), "routes": len(config.routes)},
    )
    return center
