"""``lifeline ingest``: one ingest worker of a scaled-out deployment.

A shared subscription on the external broker; records are stored (InfluxDB behind the
spool, or SQLite) and then published to the partition topics the rules workers own.
"""

from __future__ import annotations

import logging

from api.deps import HealthReport
from api.ops import create_ops_app
from ingest.config import BatchConfig
from ingest.record_sink import MqttRecordSink
from ingest.service import IngestService
from lifeline.registry_follow import follow_registry
from lifeline.roles.process import Closables, api_server, run_until_stopped, stop_on_signals
from lifeline.roles.stores import Stores
from lifeline.roles.wiring import (
    background,
    broker_address,
    ingest_config,
    ingest_health,
    store_health,
)
from lifeline.settings import Settings

__all__ = ["run_ingest"]

log = logging.getLogger(__name__)


async def run_ingest(settings: Settings) -> None:
    """An ingest worker: shared subscription, store (+ spool), records to partitions."""
    address = broker_address(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    closing = Closables()
    try:
        stores = Stores(settings, closing, writes_telemetry=True)
        registry = await stores.registry()
        telemetry = await stores.telemetry()
        client_id = f"{settings.mqtt_client_id}-{settings.instance}"
        sink = MqttRecordSink(
            address, client_id=f"{client_id}-records", partitions=settings.partitions
        )
        closing.add(sink.close)
        ingest = IngestService(
            ingest_config(
                settings, address, client_id=client_id, shared_group=settings.ingest_shared_group
            ),
            registry,
            telemetry,
            stores.deadletters,
            sink,
            batch=BatchConfig.from_settings(settings),
        )

        def health() -> HealthReport:
            return {"ingest": ingest_health(ingest), **store_health(telemetry)}

        ops = api_server(create_ops_app(health, "lifeline ingest"), settings, settings.metrics_port)
        log.info("lifeline_ingest", extra={"client_id": client_id, "store": settings.store})
        await run_until_stopped(
            stop_on_signals(),
            {
                "ingest": ingest.run(),
                "registry": follow_registry(stores.registry_store, registry),
                **background(telemetry),
            },
            ops,
        )
    finally:
        await closing.close()
