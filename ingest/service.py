"""The ingester process: MQTT sessions, batching, acknowledgements, reconnection.

:class:`IngestService` keeps one persistent MQTT session per lane (fixed client ids;
3.1.1 with ``clean_session=False``, or MQTT 5 with clean start off and a session expiry)
subscribed at QoS 1 to the lane's inbound topics: ``Lane.ALARMS`` (gas readings and
events, station telemetry) and ``Lane.BULK`` (meter uploads). The broker queues each
session apart and each lane batches, stores and hands on by itself, so a meter backlog
never holds a gas alarm back; the engine takes bulk records a chunk at a time. Messages are
collected into batches (up to ``BatchConfig.max_records`` records or ``flush_ms`` after
the first message), committed through :class:`ingest.pipeline.Pipeline` (consecutive
batches overlap: one is written to the store while the one before goes through the rule
engine, see ``_consume``), and only then acknowledged: a message whose records are not
durable is never PUBACKed, so the broker redelivers it when the session reconnects.

With MQTT 5 and ``MqttConfig.publisher_property`` set, the publishing account is read
from that user property (a broker such as EMQX stamps it) and passed to decoding, which
rejects a message for a device the account does not own with ``not_owner``.

Back-pressure comes from the broker: unacknowledged QoS 1 messages occupy its in-flight
window for this client (Mosquitto ``max_inflight_messages``), so while a store write is
retried the broker stops sending and queues the rest in the session.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiomqtt

from ingest.config import BatchConfig, MqttConfig, RetryConfig
from ingest.local import LocalInbox
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline, Received, RecordSink, RejectPublisher
from lifeline.core.ports import Clock, DeadLetterStore, TelemetryStore
from lifeline.core.records import Record
from lifeline.core.registry import Registry
from lifeline.core.timeutil import SystemClock
from lifeline.core.topics import Lane, inbound_filters
from lifeline.mqtt import ConsumerSession, ManualAckConsumer, SessionOptions

__all__ = ["IngestService"]

log = logging.getLogger(__name__)

_PIPELINE_DEPTH = 2  # batches being persisted or handed on while the next is collected


def _publisher(message: aiomqtt.Message, name: str | None) -> str | None:
    """The publishing account from the user property ``name`` (stamped by the broker), or
    None: a plain MQTT subscription does not carry the publisher's identity, and then
    the broker's ACL alone enforces ownership."""
    if name is None or message.properties is None:
        return None
    pairs = getattr(message.properties, "UserProperty", None) or []
    values = [value for key, value in pairs if key == name]
    # A stamping broker sets exactly one; anything else is not trusted as an identity.
    return values[0] if len(values) == 1 and values[0] else None


@dataclass(frozen=True, slots=True)
class _Pending:
    """A received message waiting for its acknowledgement (``ack`` sends it)."""

    qos: int
    received: Received
    ack: Callable[[], None]
    fail: Callable[[], None] = lambda: None  # given up on: not acked, will come again


class _Source(Protocol):
    """Where messages come from: an MQTT subscription, or the embedded broker."""

    async def next(self, wait_s: float | None) -> _Pending | None: ...

    def close(self) -> None: ...


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
        self._up: set[Lane] = set()

    @property
    def retrying(self) -> frozenset[str]:
        """Targets (``telemetry``, ``dead_letters``, ``sink``) failing and being retried."""
        return frozenset(self._pipeline.failing)

    def set_registry(self, registry: Registry) -> None:
        """Use ``registry`` for every message decoded from now on."""
        self._pipeline.registry = registry

    async def run(self) -> None:
        """Consume the broker subscriptions until cancelled, one persistent session per
        lane (``Lane.ALARMS`` as ``client_id``, ``Lane.BULK`` as ``client_id-bulk``), so
        the broker queues meter uploads apart from gas and station traffic and a bulk
        backlog never delays an alarm. Each session acknowledges a message only once its
        records are durable and handed on; what is unacknowledged comes again."""
        await asyncio.gather(*(self._run_lane(lane) for lane in Lane))

    async def _run_lane(self, lane: Lane) -> None:
        mqtt = self._mqtt
        filters = inbound_filters(mqtt.prefix, lane)
        if mqtt.shared_group:  # scaled out: the broker spreads messages over workers
            filters = [f"$share/{mqtt.shared_group}/{f}" for f in filters]
        consumer = ManualAckConsumer(
            mqtt.address(),
            SessionOptions(
                client_id=mqtt.client_id if lane is Lane.ALARMS else f"{mqtt.client_id}-bulk",
                filters=filters,
                mqtt5=mqtt.mqtt5,
                session_expiry_s=mqtt.session_expiry_s,
                keepalive_s=mqtt.keepalive_s,
                # A batch publishes all its rejects at once (Pipeline.hand_on): no leak.
                pending_calls_threshold=1000,
            ),
            name="ingest" if lane is Lane.ALARMS else "ingest_bulk",
            backoff=self._retry.backoff(),
            on_state=lambda up: self._connected(lane, up),
        )
        await consumer.run(lambda session: self._consume(_MqttSource(self, session), session))

    def _connected(self, lane: Lane, up: bool) -> None:
        if up:
            self._up.add(lane)
        else:
            self._up.discard(lane)
        if len(self._up) == len(Lane):
            self.ready.set()
        else:
            self.ready.clear()
        self._metrics.connected.set(1 if self.ready.is_set() else 0)

    async def serve_local(self, inbox: LocalInbox, rejects: RejectPublisher) -> None:
        """Consume the embedded broker's in-process hand-off until cancelled, one loop
        per lane.

        No MQTT session: the broker calls ``inbox.deliver`` from the publisher's
        PUBLISH and sends the PUBACK once this loop acks the message (ingest/local.py).
        A bug in a batch fails its messages (their publishers get no PUBACK and resend)
        and the loop goes on.
        """
        self.ready.set()
        self._metrics.connected.set(1)
        try:
            await asyncio.gather(
                *(self._serve_local_lane(_LocalSource(self, inbox, lane), rejects) for lane in Lane)
            )
        finally:
            inbox.close()
            self.ready.clear()
            self._metrics.connected.set(0)

    async def _serve_local_lane(self, source: _LocalSource, rejects: RejectPublisher) -> None:
        backoff = self._retry.backoff()
        while True:
            try:
                await self._consume(source, rejects)
            except Exception:
                delay = backoff.next_delay()
                log.exception("ingest_local_failed", extra={"retry_in_s": round(delay, 3)})
                await asyncio.sleep(delay)

    async def _consume(self, source: _Source, publisher: RejectPublisher) -> None:
        """Collect, persist, hand on and ack batches, overlapping consecutive batches.

        Batch N+1 is collected and decoded and its store write runs (on the store's
        thread) while batch N goes through the rule engine and is acknowledged. Store
        writes stay in batch order, so do hand-ons and acks; a message is still acked
        only after its own records are durable. At most ``_PIPELINE_DEPTH`` batches are
        between collection and acknowledgement.
        """
        stages: collections.deque[asyncio.Task[None]] = collections.deque()
        persisted: asyncio.Task[list[Record]] | None = None
        unacked = [0]  # messages counted in the in-flight gauge, not yet acked
        batches: collections.deque[list[_Pending]] = collections.deque()
        try:
            while True:
                batch = await self._collect(source)
                batches.append(batch)
                while len(batches) > _PIPELINE_DEPTH + 1:
                    batches.popleft()  # acked: only the last depth+1 can be in flight
                unacked[0] += len(batch)
                self._metrics.in_flight.inc(len(batch))
                received = [p.received for p in batch]
                persisted = asyncio.create_task(self._persist(persisted, received))
                previous = stages[-1] if stages else None
                stages.append(
                    asyncio.create_task(
                        self._finish(publisher, batch, persisted, previous, unacked)
                    )
                )
                while stages and (len(stages) > _PIPELINE_DEPTH or stages[0].done()):
                    await stages.popleft()  # raises what the stage raised
        finally:
            source.close()
            pending = [*stages, *([persisted] if persisted is not None else [])]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if unacked[0]:  # not acked: redelivered (MQTT session) or resent (publisher)
                self._metrics.in_flight.dec(unacked[0])
                for message in (p for b in batches for p in b):
                    message.fail()  # a no-op for a message already acked

    async def _persist(
        self, previous: asyncio.Task[list[Record]] | None, batch: list[Received]
    ) -> list[Record]:
        if previous is not None:
            await previous  # store writes in batch order
        return await self._pipeline.persist(batch)

    async def _finish(
        self,
        publisher: RejectPublisher,
        batch: list[_Pending],
        persisted: asyncio.Task[list[Record]],
        previous: asyncio.Task[None] | None,
        unacked: list[int],
    ) -> None:
        records = await persisted
        if previous is not None:
            await previous  # the engine sees batches in order; acks go out in order
        await self._pipeline.hand_on([p.received for p in batch], records, publisher)
        for pending in batch:  # in the order received
            if pending.qos > 0:
                pending.ack()
        unacked[0] -= len(batch)
        self._metrics.in_flight.dec(len(batch))

    async def _collect(self, source: _Source) -> list[_Pending]:
        """Wait for one message, then gather more until the batch is full or due."""
        loop = asyncio.get_running_loop()
        first = await source.next(None)
        assert first is not None  # no timeout: next() returns a message or raises
        batch = [first]
        weight = first.received.weight
        deadline = loop.time() + self._batch.flush_ms / 1000
        while weight < self._batch.max_records:
            remaining = deadline - loop.time()
            pending = await source.next(remaining) if remaining > 0 else None
            if pending is None:
                break
            batch.append(pending)
            weight += pending.received.weight
        return batch

    def decode(self, topic: str, payload: bytes, publisher: str | None) -> Received:
        return self._pipeline.decode(topic, payload, utility_id=publisher)

    @property
    def publisher_property(self) -> str | None:
        return self._mqtt.publisher_property

    def utility_account(self, username: str | None) -> str | None:
        """``username`` if it is a utility's account (its rejects go to it, and it may
        publish only for its own devices: ``not_owner``); None for our service accounts
        (``lifeline``, ``simulator``) and anonymous development clients."""
        return username if username in self._pipeline.registry.utilities else None


class _MqttSource:
    """Messages of one MQTT session; acks are the session's manual PUBACKs."""

    def __init__(self, service: IngestService, session: ConsumerSession) -> None:
        self._service = service
        self._session = session

    async def next(self, wait_s: float | None) -> _Pending | None:
        message = await self._session.next(wait_s)
        if message is None:
            return None
        payload = message.payload
        raw = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
        publisher = _publisher(message, self._service.publisher_property)
        received = self._service.decode(message.topic.value, raw, publisher)
        return _Pending(message.qos, received, functools.partial(self._session.ack, message))

    def close(self) -> None:
        """Nothing to release: the consumer closes the session."""


class _LocalSource:
    """Messages of one lane handed over in-process by the embedded broker."""

    def __init__(self, service: IngestService, inbox: LocalInbox, lane: Lane) -> None:
        self._service = service
        self._inbox = inbox
        self._lane = lane

    async def next(self, wait_s: float | None) -> _Pending | None:
        message = await self._inbox.get(wait_s, self._lane)
        if message is None:
            return None
        received = self._service.decode(
            message.topic, message.payload, self._service.utility_account(message.publisher)
        )
        return _Pending(message.qos, received, message.ack, message.fail)

    def close(self) -> None:
        """Nothing to release: unacked messages are failed by the inbox's close."""
