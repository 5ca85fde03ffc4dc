"""``lifeline rules``: one rules worker of a scaled-out deployment.

It owns some of the record partitions (``--partitions``), runs the rule engine over the
records the ingest workers publish to them, and carries out operators' actions on the
alerts of its partitions (``alerts.service.RulesService``).
"""

from __future__ import annotations

import logging

from alerts.engine import EngineOptions
from alerts.remote import owned_sources
from alerts.service import RulesService
from api.deps import ComponentHealth, HealthReport
from api.ops import create_ops_app
from lifeline.core.partitions import parse_partitions
from lifeline.mqtt import AlertPublisher
from lifeline.registry_follow import follow_registry
from lifeline.roles.process import Closables, api_server, run_until_stopped, stop_on_signals
from lifeline.roles.stores import Stores
from lifeline.roles.wiring import (
    broker_address,
    load_rules_in_use,
    owned_by,
    start_alerting,
)
from lifeline.settings import Settings

__all__ = ["run_rules"]

log = logging.getLogger(__name__)


async def run_rules(settings: Settings) -> None:
    """A rules worker owning ``settings.rules_partitions`` of ``settings.partitions``."""
    address = broker_address(settings)
    owned = parse_partitions(settings.rules_partitions, settings.partitions)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    tag = settings.rules_partitions.replace(",", "_")
    closing = Closables()
    try:
        stores = Stores(settings, closing, writes_telemetry=False)
        registry = await stores.registry()
        publisher = AlertPublisher(address, client_id=f"lifeline-rules-{tag}-alerts")
        # every rules worker runs a notification centre: planning takes turns in the
        # outbox's transactions and sending claims items, so each goes out once
        alerting = await start_alerting(
            settings,
            stores,
            closing,
            publisher,
            rules=(await load_rules_in_use(settings, stores)).rules,
            options=EngineOptions(
                state_path=settings.data_dir / f"rule_state-{tag}.msgpack",
                owns=owned_by(owned, settings.partitions),
                owns_source=owned_sources(registry, owned, settings.partitions),
            ),
            worker=f"rules-{tag}",
        )
        service = RulesService(
            alerting.engine, address, partitions=owned, client_id=f"lifeline-rules-{tag}"
        )

        def health() -> HealthReport:
            subscribed = service.ready.is_set()
            return {
                "rules": ComponentHealth(subscribed, f"partitions {settings.rules_partitions}"),
                "alert_publisher": ComponentHealth(publisher.connected, ""),
            } | alerting.health()

        ops = api_server(create_ops_app(health, "lifeline rules"), settings, settings.metrics_port)
        log.info("lifeline_rules", extra={"partitions": sorted(owned)})
        await run_until_stopped(
            stop_on_signals(),
            {
                "alert-publisher": publisher.run(),
                **alerting.jobs(),
                "rules": service.run(),
                "registry": follow_registry(stores.registry_store, registry),
            },
            ops,
        )
    finally:
        await closing.close()
