"""BroadcastNotifier: fan-out of AlertEvents to in-process subscribers (API live stream).

Each subscriber has a bounded queue. A slow subscriber loses its OLDEST events (counted
in ``Subscription.dropped``); the engine is never blocked::

    with notifier.subscribe() as events:
        async for event in events:
            ...
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType

from lifeline.core.payloads import AlertEvent

__all__ = ["BroadcastNotifier", "Subscription"]

log = logging.getLogger(__name__)


class Subscription:
    """An async iterator of AlertEvents; registered from construction until closed."""

    def __init__(self, owner: BroadcastNotifier, maxsize: int) -> None:
        self._owner = owner
        self._queue: asyncio.Queue[AlertEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, event: AlertEvent) -> None:
        """Enqueue without blocking; drop the oldest event when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def drain(self) -> list[AlertEvent]:
        """Every event queued now, without waiting."""
        out: list[AlertEvent] = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out

    def close(self) -> None:
        self._owner.unsubscribe(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> AlertEvent:
        return await self._queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BroadcastNotifier:
    """A :class:`lifeline.core.ports.Notifier` that copies every event to every subscriber."""

    def __init__(self, queue_size: int = 1000) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be >= 1")
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self._queue_size)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    async def notify(self, event: AlertEvent) -> None:
        for subscription in list(self._subscribers):
            subscription.offer(event)
