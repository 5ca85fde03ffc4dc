"""The ingester process: MQTT session, batching, acknowledgements, reconnection.

:class:`IngestService` keeps one persistent MQTT 3.1.1 session (fixed client id,
``clean_session=False``) subscribed at QoS 1 to every inbound topic. Messages are
collected into batches (up to ``BatchConfig.max_records`` records or ``flush_ms`` after
the first message), committed through :class:`ingest.pipeline.Pipeline`, and only then
acknowledged: a message whose records are not durable is never PUBACKed, so the broker
redelivers it when the session reconnects.

Back-pressure comes from the broker: unacknowledged QoS 1 messages occupy its in-flight
window for this client (Mosquitto ``max_inflight_messages``), so while a store write is
retried the broker stops sending and queues the rest in the session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode

from ingest.config import Backoff, BatchConfig, MqttConfig, RetryConfig
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline, Received, RecordSink
from lifeline.mqtt import Inbox
from lifeline.ports import Clock, DeadLetterStore, TelemetryStore
from lifeline.registry import Registry
from lifeline.timeutil import now_ms
from lifeline.topics import inbound_filters

__all__ = ["IngestService", "SystemClock"]

log = logging.getLogger(__name__)

_SUBACK_FAILURE = 0x80


def _refused(code: int | ReasonCode) -> bool:
    """A SUBACK entry refusing the subscription (3.1.1: 0x80; 5.0: a failure code)."""
    return code.is_failure if isinstance(code, ReasonCode) else code >= _SUBACK_FAILURE


class SystemClock:
    """Wall-clock :class:`lifeline.ports.Clock`."""

    def now_ms(self) -> int:
        return now_ms()


@dataclass(frozen=True, slots=True)
class _Pending:
    """A received message waiting for its acknowledgement."""

    mid: int
    qos: int
    received: Received


class _MqttPublisher:
    """:class:`ingest.pipeline.RejectPublisher` over the ingester's own connection."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._client = client

    async def publish(self, topic: str, payload: bytes) -> None:
        await self._client.publish(topic, payload, qos=1)


class IngestService:
    """Subscribes, batches, commits and acknowledges until cancelled (see module doc).

    ``ready`` is set while subscriptions are active and cleared when the broker goes
    away. Replace the registry (e.g. after an administrator edit) with ``set_registry``.
    """

    def __init__(
        self,
        mqtt: MqttConfig,
        registry: Registry,
        telemetry: TelemetryStore,
        dead_letters: DeadLetterStore,
        sink: RecordSink | None = None,
        *,
        clock: Clock | None = None,
        batch: BatchConfig | None = None,
        retry: RetryConfig | None = None,
        metrics: IngestMetrics | None = None,
    ) -> None:
        self._mqtt = mqtt
        self._batch = batch or BatchConfig()
        self._retry = retry or RetryConfig()
        self._metrics = metrics or IngestMetrics.on()
        self._pipeline = Pipeline(
            registry=registry,
            telemetry=telemetry,
            dead_letters=dead_letters,
            sink=sink,
            clock=clock or SystemClock(),
            metrics=self._metrics,
            retry=self._retry,
            prefix=mqtt.prefix,
        )
        self.ready = asyncio.Event()

    def set_registry(self, registry: Registry) -> None:
        """Use ``registry`` for every message decoded from now on."""
        self._pipeline.registry = registry

    async def run(self) -> None:
        """Run until cancelled, reconnecting with backoff whenever the broker goes away."""
        backoff = self._retry.backoff()
        while True:
            try:
                await self._session(backoff)
            except aiomqtt.MqttError as err:
                delay = backoff.next_delay()
                log.warning(
                    "ingest_broker_unavailable",
                    extra={
                        "host": self._mqtt.host,
                        "port": self._mqtt.port,
                        "error": str(err),
                        "attempt": backoff.attempt,
                        "retry_in_s": round(delay, 3),
                    },
                )
            except Exception:
                # A bug, not the broker: unacked messages come back on reconnect.
                delay = backoff.next_delay()
                log.exception("ingest_session_failed", extra={"retry_in_s": round(delay, 3)})
            finally:
                self.ready.clear()
                self._metrics.connected.set(0)
            await asyncio.sleep(delay)

    def _client(self) -> aiomqtt.Client:
        """A fresh client per connection, so no message of a dead session is ever acked."""
        mqtt = self._mqtt
        client = aiomqtt.Client(
            mqtt.host,
            mqtt.port,
            username=mqtt.username,
            password=mqtt.password,
            identifier=mqtt.client_id,
            clean_session=False,
            keepalive=mqtt.keepalive_s,
        )
        # MANUAL ACK. aiomqtt 2.5 has no public API for it, so we reach the paho-mqtt 2.x
        # client underneath: with manual_ack_set(True) paho does not PUBACK a QoS 1
        # message when it is delivered; we call client._client.ack(mid, qos) ourselves
        # (see _ack) once the message's records are durable. Must be set before connect.
        client._client.manual_ack_set(True)
        return client

    async def _session(self, backoff: Backoff) -> None:
        client = self._client()
        async with client:
            filters = inbound_filters(self._mqtt.prefix)
            if self._mqtt.shared_group:  # scaled out: the broker spreads messages over workers
                filters = [f"$share/{self._mqtt.shared_group}/{f}" for f in filters]
            granted = await client.subscribe([(f, 1) for f in filters])
            if any(_refused(code) for code in granted):
                raise aiomqtt.MqttError(f"broker refused a subscription: {list(granted)}")
            backoff.reset()
            log.info(
                "ingest_subscribed",
                extra={
                    "host": self._mqtt.host,
                    "port": self._mqtt.port,
                    "client_id": self._mqtt.client_id,
                },
            )
            self.ready.set()
            self._metrics.connected.set(1)
            await self._consume(client)

    async def _consume(self, client: aiomqtt.Client) -> None:
        inbox = Inbox(client)
        publisher = _MqttPublisher(client)
        in_flight = 0
        try:
            while True:
                batch = await self._collect(inbox)
                in_flight = len(batch)
                self._metrics.in_flight.inc(in_flight)
                await self._pipeline.commit([p.received for p in batch], publisher)
                self._ack(client, batch)
                self._metrics.in_flight.dec(in_flight)
                in_flight = 0
        finally:
            inbox.close()
            if in_flight:
                self._metrics.in_flight.dec(in_flight)

    async def _collect(self, inbox: Inbox) -> list[_Pending]:
        """Wait for one message, then gather more until the batch is full or due."""
        loop = asyncio.get_running_loop()
        first = await inbox.get(None)
        assert first is not None  # no timeout: get() returns a message or raises
        batch = [self._pending(first)]
        weight = batch[0].received.weight
        deadline = loop.time() + self._batch.flush_ms / 1000
        while weight < self._batch.max_records:
            remaining = deadline - loop.time()
            message = await inbox.get(remaining) if remaining > 0 else None
            if message is None:
                break
            pending = self._pending(message)
            batch.append(pending)
            weight += pending.received.weight
        return batch

    def _pending(self, message: aiomqtt.Message) -> _Pending:
        payload = message.payload
        raw = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
        # The publishing utility is not known from a plain subscription yet (broker ACLs
        # enforce ownership); pass it here once the transport tells us (MQTT 5 user
        # properties or a per-utility bridge).
        received = self._pipeline.decode(message.topic.value, raw, utility_id=None)
        return _Pending(message.mid, message.qos, received)

    def _ack(self, client: aiomqtt.Client, batch: Sequence[_Pending]) -> None:
        """PUBACK every QoS 1 message of a committed batch, in the order received."""
        for pending in batch:
            if pending.qos == 0:
                continue
            # See _client(): manual ack through the paho client (no aiomqtt API).
            rc = client._client.ack(pending.mid, pending.qos)
            if rc != 0:
                log.warning("ingest_ack_failed", extra={"mid": pending.mid, "rc": int(rc)})
