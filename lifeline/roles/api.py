"""``lifeline api``: the API and dashboard of a scaled-out deployment.

It reads the shared stores and acts on alerts through the rules workers that own them
(``alerts.remote.MqttActionsBridge``), whose alert events also feed its live stream.
"""

from __future__ import annotations

from alerts.notify_memory import BroadcastNotifier
from alerts.remote import MqttActionsBridge
from api.deps import ComponentHealth, HealthReport
from lifeline.core.timeutil import SystemClock
from lifeline.registry_follow import follow_registry
from lifeline.roles.process import Closables, api_server, run_until_stopped, stop_on_signals
from lifeline.roles.stores import Stores
from lifeline.roles.wiring import (
    broker_address,
    build_api,
    load_rules_in_use,
    notification_center,
    prepare_api_auth,
)
from lifeline.settings import Settings

__all__ = ["run_api"]


async def run_api(settings: Settings) -> None:
    """The API/dashboard: reads the stores, acts on alerts through the rules workers."""
    address = broker_address(settings)
    closing = Closables()
    try:
        stores = Stores(settings, closing, writes_telemetry=False)
        await prepare_api_auth(settings, stores)
        registry = await stores.registry()
        broadcast = BroadcastNotifier()
        bridge = MqttActionsBridge(
            address,
            stores.alerts,
            broadcast,
            partitions=settings.partitions,
            prefix=settings.topic_prefix,
        )
        closing.add(bridge.close)

        def health() -> HealthReport:
            return {"broker": ComponentHealth(bridge.connected, "actions and live stream")}

        # the admin endpoints (receivers, routes, test messages, history); the rules
        # workers run the centre itself
        rules = await load_rules_in_use(settings, stores)
        center = await notification_center(settings, stores, closing, rules.rules)
        app = await build_api(
            settings,
            stores,
            actions=bridge,
            clock=SystemClock(),
            health=health,
            live=broadcast.subscribe,
            rules=rules,
            notify=center,
        )
        await run_until_stopped(
            stop_on_signals(),
            {"bridge": bridge.run(), "registry": follow_registry(stores.registry_store, registry)},
            api_server(app, settings),
        )
    finally:
        await closing.close()
