"""The ingest pipeline behind the MQTT connection: decode, store, dead-letter, hand on.

:meth:`Pipeline.decode` turns one message into a :class:`Received`; :meth:`Pipeline.commit`
makes a batch of them durable and returns only then (the caller acknowledges the MQTT
messages afterwards). ``commit`` is :meth:`Pipeline.persist` (steps 1-2) then
:meth:`Pipeline.hand_on` (steps 3-4), which the service overlaps across batches:

1. accepted records -> ``TelemetryStore.write`` (retried with backoff until it succeeds)
2. rejections       -> ``DeadLetterStore.add`` (retried likewise)
3. accepted records -> ``RecordSink.accept`` (the rule engine, or the partition topics
   of the rules workers; retried likewise: an alarm event has no later record to
   catch it, so it is never acknowledged before the sink has it)
4. rejections whose accountable utility is known -> Reject JSON on
   ``{prefix}/rejects/{utility_id}`` (see :class:`ingest.decode.Decoded`)

Nothing here knows about MQTT sessions or acks; publishing goes through a
:class:`RejectPublisher`, so the pipeline runs the same over any transport.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from ingest.config import RetryConfig
from ingest.decode import Decoded, Rejection, decode_message
from ingest.metrics import IngestMetrics
from lifeline.core.payloads import Reject, RejectReason
from lifeline.core.ports import Clock, DeadLetter, DeadLetterStore, TelemetryStore
from lifeline.core.records import Record
from lifeline.core.registry import Registry
from lifeline.core.timeutil import iso_ms
from lifeline.core.topics import DEFAULT_PREFIX, rejects_topic

__all__ = ["Pipeline", "Received", "RecordSink", "RejectPublisher"]

log = logging.getLogger(__name__)


class RecordSink(Protocol):
    """Receives every accepted record after it is durable (the rule engine)."""

    async def accept(self, records: Sequence[Record]) -> None: ...


class RejectPublisher(Protocol):
    """Publishes a Reject payload (QoS 1) on a topic."""

    async def publish(self, topic: str, payload: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class Received:
    """One inbound message and what decoding made of it."""

    topic: str
    payload: bytes
    decoded: Decoded
    received_at_ms: int

    @property
    def weight(self) -> int:
        """How much this message adds to a store batch (at least 1)."""
        return max(1, len(self.decoded.records) + len(self.decoded.rejects))


class Pipeline:
    """Decodes messages and commits batches; see the module docstring for the steps."""

    def __init__(
        self,
        *,
        registry: Registry,
        telemetry: TelemetryStore,
        dead_letters: DeadLetterStore,
        sink: RecordSink | None,
        clock: Clock,
        metrics: IngestMetrics,
        retry: RetryConfig,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self.registry = registry
        self._telemetry = telemetry
        self._dead_letters = dead_letters
        self._sink = sink
        self._clock = clock
        self._metrics = metrics
        self._retry = retry
        self._prefix = prefix
        self.failing: set[str] = set()  # targets being retried now (health)

    def decode(self, topic: str, payload: bytes, utility_id: str | None = None) -> Received:
        """Decode one message against the current registry and clock."""
        now = self._clock.now_ms()
        decoded = decode_message(
            topic,
            payload,
            registry=self.registry,
            now_ms=now,
            utility_id=utility_id,
            prefix=self._prefix,
        )
        return Received(topic, payload, decoded, now)

    async def commit(self, batch: Sequence[Received], publisher: RejectPublisher) -> None:
        """Make ``batch`` durable, hand records to the sink and publish rejects."""
        records = await self.persist(batch)
        await self.hand_on(batch, records, publisher)

    async def persist(self, batch: Sequence[Received]) -> list[Record]:
        """Step 1-2: store the records and dead letters (retried until done); returns the
        accepted records for :meth:`hand_on`."""
        records = [record for message in batch for record in message.decoded.records]
        letters = [letter for message in batch for letter in _dead_letters(message)]
        if records:
            await self._until_done("telemetry", lambda: self._write(records))
        if letters:
            await self._until_done("dead_letters", lambda: self._dead_letters.add(letters))
        self._count(batch, records, letters)
        return records

    async def hand_on(
        self, batch: Sequence[Received], records: Sequence[Record], publisher: RejectPublisher
    ) -> None:
        """Step 3-4, after :meth:`persist`: records to the sink, rejects to their owners."""
        if records and self._sink is not None:
            await self._deliver(self._sink, records)
        # All of a batch's rejects at once: awaiting each PUBACK in turn made a flood of
        # malformed messages hold up the good records behind it (lifeline drill
        # malformed-flood). Each reject is still published at QoS 1 before the ack.
        rejects = [item for message in batch for item in self._rejects(message)]
        if rejects:
            await asyncio.gather(*(publisher.publish(topic, body) for topic, body in rejects))

    async def _write(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        await self._telemetry.write(records)
        self._metrics.write_seconds.observe(time.perf_counter() - started)

    async def _until_done(self, target: str, call: Callable[[], Awaitable[None]]) -> None:
        """Retry ``call`` with backoff until it succeeds (records must never be lost).

        The first failure is logged with its traceback, the retries one line each; the
        messages wait unacknowledged meanwhile (back-pressure on the broker)."""
        backoff = self._retry.backoff()
        while True:
            try:
                await call()
            except Exception as error:
                delay = backoff.next_delay()
                self._metrics.write_failures.labels(target).inc()
                self.failing.add(target)
                log.warning(
                    "ingest_write_failed",
                    exc_info=backoff.attempt == 1,
                    extra={
                        "target": target,
                        "attempt": backoff.attempt,
                        "retry_in_s": round(delay, 3),
                        "error": f"{type(error).__name__}: {error}",
                    },
                )
                await asyncio.sleep(delay)
                continue
            if target in self.failing:
                self.failing.discard(target)
                log.info("ingest_write_recovered", extra={"target": target})
            return

    async def _deliver(self, sink: RecordSink, records: Sequence[Record]) -> None:
        """Hand records to the sink, retried until it takes them (see _until_done)."""
        await self._until_done("sink", lambda: sink.accept(records))

    def _count(
        self, batch: Sequence[Received], records: Sequence[Record], letters: Sequence[DeadLetter]
    ) -> None:
        metrics = self._metrics
        metrics.messages.inc(len(batch))
        # one counter update per kind and reason, not per record (a labels() lookup
        # takes a lock; per record it was a measurable share of the hot path)
        for kind, count in collections.Counter(r.kind.value for r in records).items():
            metrics.records.labels(kind).inc(count)
        for reason, count in collections.Counter(x.reason for x in letters).items():
            metrics.rejects.labels(reason).inc(count)
        if letters:
            log.info(
                "ingest_rejected",
                extra={"rejects": len(letters), "reasons": sorted({x.reason for x in letters})},
            )

    def _rejects(self, message: Received) -> list[tuple[str, bytes]]:
        """(topic, Reject JSON) for each rejection whose owner is known."""
        utility_id = message.decoded.utility_id
        if utility_id is None or not message.decoded.rejects:
            return []  # an unknown id has no owner to tell: dead letter only
        topic = rejects_topic(utility_id, self._prefix)
        received_at = iso_ms(message.received_at_ms)
        return [
            (
                topic,
                msgspec.json.encode(
                    Reject(
                        topic=message.topic,
                        reason=rejection.reason.value,
                        detail=rejection.detail,
                        index=rejection.index,
                        received_at=received_at,
                    )
                ),
            )
            for rejection in message.decoded.rejects
        ]


# Contract v1.1: an oversized payload is dead-lettered only up to its first 4 KiB (its
# real size is in the detail), so a flood of huge payloads cannot fill the alert database.
OVERSIZED_KEPT_BYTES = 4096


def _kept(rejection: Rejection) -> bytes:
    if rejection.reason is RejectReason.OVERSIZED:
        return rejection.raw[:OVERSIZED_KEPT_BYTES]
    return rejection.raw


def _dead_letters(message: Received) -> list[DeadLetter]:
    return [
        DeadLetter(
            received_at_ms=message.received_at_ms,
            topic=message.topic,
            utility_id=message.decoded.utility_id,
            reason=rejection.reason.value,
            detail=rejection.detail,
            index=rejection.index,
            payload=_kept(rejection),
        )
        for rejection in message.decoded.rejects
    ]
