"""Defence in depth: the ingester re-checks ownership from the MQTT 5 publisher property.

The Mosquitto here has NO ACL (a misconfigured broker lets anything through); the
publisher sends the ``lifeline-publisher`` user property as a stamping broker would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiomqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from prometheus_client import CollectorRegistry

from ingest import BatchConfig, IngestMetrics, IngestService, MqttConfig, RetryConfig
from ingest.config import PUBLISHER_PROPERTY
from lifeline.core.ports import DeadLetterQuery
from lifeline.core.timeutil import now_ms
from store import SqliteDeadLetterStore, SqliteTelemetryStore
from tests.ingest.conftest import build_registry
from tests.ingest.test_service import RecordingSink, eventually
from tests.security.conftest import FOREIGN, OWN
from tests.services import MosquittoServer

pytestmark = pytest.mark.services


def _stamped(account: str) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.UserProperty = [(PUBLISHER_PROPERTY, account)]
    return properties


def _service(
    mosquitto: MosquittoServer,
    telemetry: SqliteTelemetryStore,
    dead_letters: SqliteDeadLetterStore,
    sink: RecordingSink,
    metrics: IngestMetrics,
) -> IngestService:
    mqtt = MqttConfig(
        mosquitto.host,
        mosquitto.port,
        client_id="ingest-v5",
        mqtt5=True,
        publisher_property=PUBLISHER_PROPERTY,
    )
    return IngestService(
        mqtt,
        build_registry(),
        telemetry,
        dead_letters,
        sink,
        batch=BatchConfig(max_records=100, flush_ms=20),
        retry=RetryConfig(initial_s=0.02, max_s=0.2),
        metrics=metrics,
    )


@contextlib.asynccontextmanager
async def _running(service: IngestService) -> AsyncIterator[None]:
    task = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.ready.wait(), 5)
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def stores(
    tmp_path: Path,
) -> AsyncIterator[tuple[SqliteTelemetryStore, SqliteDeadLetterStore]]:
    telemetry = SqliteTelemetryStore(tmp_path / "telemetry.db")
    dead_letters = SqliteDeadLetterStore(tmp_path / "lifeline.db")
    yield telemetry, dead_letters
    await telemetry.close()
    await dead_letters.close()


async def test_foreign_device_is_rejected_not_owner_and_own_device_accepted(
    mosquitto: MosquittoServer, stores: tuple[SqliteTelemetryStore, SqliteDeadLetterStore]
) -> None:
    telemetry, dead_letters = stores
    metrics = IngestMetrics(CollectorRegistry())
    sink = RecordingSink()
    service = _service(mosquitto, telemetry, dead_letters, sink, metrics)
    ts = now_ms()
    host, port = mosquitto.host, mosquitto.port
    v5 = aiomqtt.ProtocolVersion.V5
    async with _running(service), aiomqtt.Client(host, port, protocol=v5) as huarun:
        async with aiomqtt.Client(host, port, identifier="listener") as listener:
            await listener.subscribe("lifeline/v1/rejects/+", qos=1)
            body = json.dumps({"ts": ts, "lel_pct": 4.0})
            await huarun.publish(FOREIGN, body, qos=1, properties=_stamped("gas-huarun"))
            await huarun.publish(OWN, body, qos=1, properties=_stamped("gas-huarun"))
            async with asyncio.timeout(5):
                message = await anext(aiter(listener.messages))
        await eventually(lambda: len(sink.records) == 1)
    assert [(r.source_id, r.utility_id) for r in sink.records] == [("GAS-0001", "gas-huarun")]
    assert await telemetry.count("GAS-0001") == 1
    assert await telemetry.count("GAS-0002") == 0
    assert message.topic.value == "lifeline/v1/rejects/gas-huarun"  # the publisher is told
    reject = json.loads(bytes(message.payload))
    assert (reject["topic"], reject["reason"]) == (FOREIGN, "not_owner")
    letters, total = await dead_letters.query(DeadLetterQuery(reason="not_owner"))
    assert total == 1
    assert letters[0].utility_id == "gas-huarun"
    assert letters[0].topic == FOREIGN
    sample = metrics.registry.get_sample_value(
        "lifeline_ingest_rejects_total", {"reason": "not_owner"}
    )
    assert sample == 1.0


async def test_without_the_property_ownership_is_left_to_the_broker(
    mosquitto: MosquittoServer, stores: tuple[SqliteTelemetryStore, SqliteDeadLetterStore]
) -> None:
    """MQTT 3.1.1 publishers (and Mosquitto, which stamps nothing) carry no identity."""
    telemetry, dead_letters = stores
    sink = RecordingSink()
    service = _service(mosquitto, telemetry, dead_letters, sink, IngestMetrics(CollectorRegistry()))
    async with _running(service), aiomqtt.Client(mosquitto.host, mosquitto.port) as plain:
        await plain.publish(FOREIGN, json.dumps({"ts": now_ms(), "lel_pct": 1.0}), qos=1)
        await eventually(lambda: len(sink.records) == 1)
    assert sink.records[0].utility_id == "gas-ganghua"


async def test_v5_session_persists_and_unacked_messages_come_back(
    mosquitto: MosquittoServer, stores: tuple[SqliteTelemetryStore, SqliteDeadLetterStore]
) -> None:
    """Manual ack over MQTT 5: a message whose batch never finished is redelivered, and a
    message published while the ingester is away waits in its session."""
    telemetry, dead_letters = stores
    metrics = IngestMetrics(CollectorRegistry())
    stuck = RecordingSink(block=True)
    first = _service(mosquitto, telemetry, dead_letters, stuck, metrics)
    host, port = mosquitto.host, mosquitto.port
    body = json.dumps({"ts": now_ms(), "lel_pct": 2.0})
    async with aiomqtt.Client(host, port, identifier="pub") as pub:
        async with _running(first):
            await pub.publish(OWN, body, qos=1)
            await asyncio.wait_for(stuck.called.wait(), 5)  # processing, not acked
        await pub.publish(FOREIGN, body, qos=1)  # nobody connected: queued in the session
    sink = RecordingSink()
    async with _running(_service(mosquitto, telemetry, dead_letters, sink, metrics)):
        await eventually(lambda: len(sink.records) >= 2)
    assert sorted(r.source_id for r in sink.records) == ["GAS-0001", "GAS-0002"]
