"""The embedded broker's hand-off to the ingester, in one process: no MQTT hop.

``lifeline up`` without ``--mqtt-url`` runs the broker (amqtt, ``lifeline.broker``) on
the ingester's event loop. The broker does not deliver inbound contract messages to an
ingester subscription; it calls :meth:`LocalInbox.deliver` from the publisher's
PUBLISH handling and sends the PUBACK only when that returns, which is after the
message's records (and rejects) are durable and handed to the rule engine. So a
publisher that got its PUBACK has nothing left in any broker memory: disconnecting at
once, ``kill -9`` of ``lifeline up`` or a restart cannot lose it, and a slow store
slows the PUBACKs (back-pressure on the publisher's in-flight window) instead of
filling a queue. See docs/architecture.md, "The embedded broker".

:class:`LocalInbox` is both sides: the broker's :class:`lifeline.broker.InboundGate`
(``accepts``, ``deliver``) and the ingester's message source (``get``), consumed by
:meth:`ingest.service.IngestService.serve_local`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from lifeline.core.topics import Lane, inbound_filters, lane_of

__all__ = ["IngestUnavailableError", "LocalInbox", "LocalMessage"]


def _matches(levels: list[str], topic_filter: list[str]) -> bool:
    """MQTT filter match for the inbound filters (single-level ``+`` only)."""
    return len(levels) == len(topic_filter) and all(
        want in ("+", level) for level, want in zip(levels, topic_filter, strict=True)
    )


class IngestUnavailableError(Exception):
    """The ingester stopped before the message was durable (the broker must not ack)."""


@dataclass(slots=True)
class LocalMessage:
    """One inbound PUBLISH handed over by the broker; ``ack`` releases its PUBACK."""

    topic: str
    payload: bytes
    qos: int
    publisher: str | None
    done: asyncio.Future[None] | None = field(default=None, repr=False)

    def ack(self) -> None:
        """The records are durable: let the broker send the PUBACK."""
        if self.done is not None and not self.done.done():
            self.done.set_result(None)

    def fail(self) -> None:
        """Not durable and never will be through this inbox: the broker must not ack."""
        if self.done is not None and not self.done.done():
            self.done.set_exception(IngestUnavailableError("ingester stopped"))


class LocalInbox:
    """Inbound messages from the in-process broker to the ingester (see module doc).

    Messages are queued by lane (``lifeline.core.topics.Lane``): a meter upload never
    waits in front of a gas alarm. ``max_pending`` bounds the messages waiting in a lane
    to be collected into a batch; past it :meth:`deliver` waits, holding the publisher's
    PUBACK (back-pressure).
    """

    def __init__(self, prefix: str, max_pending: int = 20_000) -> None:
        self._prefix = prefix
        self._filters = [f.split("/") for f in inbound_filters(prefix)]
        self._queues: dict[Lane, asyncio.Queue[LocalMessage]] = {
            lane: asyncio.Queue(max_pending) for lane in Lane
        }
        self._closed = False

    def accepts(self, topic: str) -> bool:
        """Whether ``topic`` matches the ingester's subscriptions (what it would get
        from an external broker)."""
        levels = topic.split("/")
        return any(_matches(levels, f) for f in self._filters)

    async def deliver(self, topic: str, payload: bytes, qos: int, publisher: str | None) -> None:
        """Hand one message over; returns once it is durable (QoS 1/2) or queued (QoS 0).

        Raises :class:`IngestUnavailableError` if the ingester stops first: the broker then
        withholds the PUBACK and the publisher's session resends the message.
        """
        if self._closed:
            raise IngestUnavailableError("ingester not running")
        done = asyncio.get_running_loop().create_future() if qos > 0 else None
        message = LocalMessage(topic, payload, qos, publisher, done)
        queue = self._queues[lane_of(topic, self._prefix)]
        await queue.put(message)  # waits while the lane is max_pending behind
        if self._closed:  # closed while this waited for room: nobody will take it
            self._fail_queued()
            message.fail()
        if done is not None:
            await done

    async def get(self, wait_s: float | None, lane: Lane = Lane.ALARMS) -> LocalMessage | None:
        """The next message of ``lane``, or None after ``wait_s`` seconds (None: wait for
        ever)."""
        queue = self._queues[lane]
        if wait_s is None:
            return await queue.get()
        try:
            # not asyncio.wait_for: on 3.11 it can swallow a cancellation that arrives as
            # the item does, and then a stopping ingester keeps waiting here for ever
            async with asyncio.timeout(wait_s):
                return await queue.get()
        except TimeoutError:
            return None

    def close(self) -> None:
        """Refuse new messages and fail the queued ones (they were never acked)."""
        self._closed = True
        self._fail_queued()

    def _fail_queued(self) -> None:
        for queue in self._queues.values():
            while not queue.empty():
                queue.get_nowait().fail()
