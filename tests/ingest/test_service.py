"""IngestService against a real Mosquitto and real SQLite stores."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt
import pytest
from prometheus_client import CollectorRegistry

from ingest import BatchConfig, IngestMetrics, IngestService, MqttConfig, RetryConfig
from lifeline.core.ports import DeadLetterQuery, TelemetryStore
from lifeline.core.records import Record
from lifeline.core.timeutil import now_ms
from store import SqliteDeadLetterStore, SqliteTelemetryStore
from tests.ingest.conftest import build_registry
from tests.services import MosquittoServer

GAS = "lifeline/v1/gas/GAS-0001/reading"
METER = "lifeline/v1/meter/MTR-00000001/reading"
FAST_RETRY = RetryConfig(initial_s=0.02, max_s=0.2)


class RecordingSink:
    """A RecordSink that keeps what it is given; optionally blocks or fails first."""

    def __init__(self, *, block: bool = False, failures: int = 0) -> None:
        self.records: list[Record] = []
        self.called = asyncio.Event()
        self._block = block
        self._failures = failures

    async def accept(self, records: Sequence[Record]) -> None:
        self.called.set()
        if self._block:
            await asyncio.Event().wait()  # the ingester "dies" here, before acking
        if self._failures > 0:
            self._failures -= 1
            raise RuntimeError("rule engine hiccup")
        self.records.extend(records)


class FlakyTelemetry(SqliteTelemetryStore):
    """A real SQLite store whose first ``failures`` writes fail."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures

    async def write(self, records: Sequence[Record]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OSError("disk full")
        await super().write(records)


@dataclass
class Rig:
    mosquitto: MosquittoServer
    telemetry: SqliteTelemetryStore
    dead_letters: SqliteDeadLetterStore
    metrics: IngestMetrics = field(default_factory=lambda: IngestMetrics(CollectorRegistry()))

    def service(
        self, sink: RecordingSink, telemetry: TelemetryStore | None = None
    ) -> IngestService:
        mqtt = MqttConfig(self.mosquitto.host, self.mosquitto.port, client_id="ingest-test")
        return IngestService(
            mqtt,
            build_registry(),
            telemetry or self.telemetry,
            self.dead_letters,
            sink,
            batch=BatchConfig(max_records=100, flush_ms=20),
            retry=FAST_RETRY,
            metrics=self.metrics,
        )

    def value(self, name: str, **labels: str) -> float:
        found = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if found is None else found


@pytest.fixture
async def rig(mosquitto: MosquittoServer, tmp_path: Path) -> AsyncIterator[Rig]:
    telemetry = SqliteTelemetryStore(tmp_path / "telemetry.db")
    dead_letters = SqliteDeadLetterStore(tmp_path / "lifeline.db")
    yield Rig(mosquitto, telemetry, dead_letters)
    await telemetry.close()
    await dead_letters.close()


@contextlib.asynccontextmanager
async def running(service: IngestService) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.ready.wait(), 5)
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def client(mosquitto: MosquittoServer, name: str) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier=name) as mqtt:
        yield mqtt


async def eventually(check: Callable[[], object], within_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def reading(ts: int, lel_pct: float = 3.0) -> dict[str, object]:
    return {"ts": ts, "lel_pct": lel_pct}


async def test_good_records_are_stored_and_bad_ones_dead_lettered_and_published(
    rig: Rig,
) -> None:
    sink = RecordingSink()
    now = now_ms()
    rejects: list[tuple[str, dict[str, object]]] = []
    async with running(rig.service(sink)), client(rig.mosquitto, "pub") as pub:
        async with client(rig.mosquitto, "listener") as listener:
            await listener.subscribe("lifeline/v1/rejects/+", qos=1)
            batch = [reading(now - 2000), reading(now - 1000), reading(now, lel_pct=250)]
            await pub.publish(GAS, json.dumps(reading(now - 3000)), qos=1)
            await pub.publish(GAS, json.dumps({"batch": batch}), qos=1)
            await pub.publish("lifeline/v1/gas/GAS-9999/reading", json.dumps(reading(now)), qos=1)
            await pub.publish(METER, b"{broken", qos=1)
            async for message in listener.messages:
                assert isinstance(message.payload, bytes)
                rejects.append((message.topic.value, json.loads(message.payload)))
                if len(rejects) == 2:
                    break
        await eventually(lambda: len(sink.records) == 3)

    assert await rig.telemetry.count("GAS-0001") == 3
    assert sorted(r.ts_ms for r in sink.records) == [now - 3000, now - 2000, now - 1000]
    letters, total = await rig.dead_letters.query(DeadLetterQuery())
    assert total == 3
    assert sorted((x.reason, x.index, x.utility_id) for x in letters) == [
        ("bad_json", None, "gas-huarun"),
        ("out_of_range", 2, "gas-huarun"),
        ("unknown_id", None, None),
    ]
    by_reason = {body["reason"]: (topic, body) for topic, body in rejects}
    assert set(by_reason) == {"out_of_range", "bad_json"}  # unknown id: dead letter only
    topic, body = by_reason["out_of_range"]
    assert topic == "lifeline/v1/rejects/gas-huarun"
    assert body["topic"] == GAS
    assert body["index"] == 2
    assert rig.value("lifeline_ingest_messages_total") == 4
    assert rig.value("lifeline_ingest_records_total", kind="gas_reading") == 3
    assert rig.value("lifeline_ingest_rejects_total", reason="unknown_id") == 1
    assert rig.value("lifeline_ingest_in_flight_messages") == 0


async def test_message_is_redelivered_when_the_ingester_dies_before_acking(rig: Rig) -> None:
    now = now_ms()
    dying = RecordingSink(block=True)
    async with running(rig.service(dying)), client(rig.mosquitto, "pub") as pub:
        await pub.publish(GAS, json.dumps(reading(now)), qos=1)
        await asyncio.wait_for(dying.called.wait(), 5)
    # Cancelled inside the sink: stored, but never acknowledged.

    survivor = RecordingSink()
    async with running(rig.service(survivor)):
        await eventually(lambda: len(survivor.records) == 1)
    assert survivor.records[0].ts_ms == now
    assert await rig.telemetry.count("GAS-0001") == 1  # redelivery overwrote, no duplicate


async def test_acked_message_is_not_redelivered_and_offline_messages_wait(rig: Rig) -> None:
    now = now_ms()
    first = RecordingSink()
    async with running(rig.service(first)), client(rig.mosquitto, "pub") as pub:
        await pub.publish(GAS, json.dumps(reading(now - 5000)), qos=1)
        await eventually(lambda: len(first.records) == 1)

    async with client(rig.mosquitto, "pub2") as pub:  # published while the ingester is down
        await pub.publish(GAS, json.dumps(reading(now)), qos=1)
    second = RecordingSink()
    async with running(rig.service(second)):
        await eventually(lambda: len(second.records) >= 1)
        await asyncio.sleep(0.2)
    assert [r.ts_ms for r in second.records] == [now]
    assert await rig.telemetry.count("GAS-0001") == 2


async def test_store_failures_are_retried_until_the_record_is_stored(
    rig: Rig, tmp_path: Path
) -> None:
    flaky = FlakyTelemetry(tmp_path / "telemetry.db", failures=3)
    sink = RecordingSink()
    now = now_ms()
    async with running(rig.service(sink, flaky)), client(rig.mosquitto, "pub") as pub:
        await pub.publish(GAS, json.dumps(reading(now)), qos=1)
        await eventually(lambda: len(sink.records) == 1)
    await flaky.close()
    assert await rig.telemetry.count("GAS-0001") == 1
    assert rig.value("lifeline_ingest_write_failures_total", target="telemetry") == 3
    assert rig.value("lifeline_ingest_records_total", kind="gas_reading") == 1


async def test_sink_failures_are_retried_then_the_batch_moves_on(rig: Rig) -> None:
    sink = RecordingSink(failures=1)
    now = now_ms()
    async with running(rig.service(sink)), client(rig.mosquitto, "pub") as pub:
        await pub.publish(GAS, json.dumps(reading(now - 1000)), qos=1)
        await eventually(lambda: len(sink.records) == 1)
        await pub.publish(GAS, json.dumps(reading(now)), qos=1)
        await eventually(lambda: len(sink.records) == 2)
    assert rig.value("lifeline_ingest_write_failures_total", target="sink") == 1


async def test_ingester_reconnects_after_the_broker_restarts(rig: Rig) -> None:
    sink = RecordingSink()
    service = rig.service(sink)
    now = now_ms()
    async with running(service):
        await asyncio.to_thread(rig.mosquitto.stop)
        await eventually(lambda: not service.ready.is_set())
        await asyncio.to_thread(rig.mosquitto.start)
        await asyncio.wait_for(service.ready.wait(), 5)
        async with client(rig.mosquitto, "pub") as pub:
            await pub.publish(GAS, json.dumps(reading(now)), qos=1)
        await eventually(lambda: len(sink.records) == 1)
    assert await rig.telemetry.count("GAS-0001") == 1


def test_metrics_on_the_same_registry_are_shared_not_duplicated() -> None:
    registry = CollectorRegistry()
    assert IngestMetrics.on(registry) is IngestMetrics.on(registry)
    assert IngestMetrics.on() is IngestMetrics.on()
