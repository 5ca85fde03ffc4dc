"""Reading an aiomqtt client's messages with a timeout that never loses one."""

from __future__ import annotations

import asyncio

import aiomqtt

__all__ = ["Inbox"]


class Inbox:
    """Reads messages one at a time without ever dropping one to a timeout.

    The pending read survives a timeout and is reused by the next :meth:`get`, so a
    message that arrives exactly when a batch is flushed is not lost.

    A message already received is taken straight from the client's queue: aiomqtt's
    iterator creates a task and waits on it for every message, which under load costs
    more than the message itself. That queue (``client._queue``) is aiomqtt's private
    attribute, read here only, beside the one place that reaches paho
    (``lifeline.mqtt.consumer``); the iterator still does the waiting (and raises on a
    disconnect) when the queue is empty.
    """

    def __init__(self, client: aiomqtt.Client) -> None:
        self._messages = aiter(client.messages)
        self._queue: asyncio.Queue[aiomqtt.Message] = client._queue
        self._next: asyncio.Future[aiomqtt.Message] | None = None

    async def get(self, wait_s: float | None) -> aiomqtt.Message | None:
        """The next message, or ``None`` after ``wait_s`` seconds; raises MqttError."""
        if self._next is None and not self._queue.empty():
            return self._queue.get_nowait()  # received already: no task, no wait
        if self._next is None:
            self._next = asyncio.ensure_future(anext(self._messages))
        done, _ = await asyncio.wait({self._next}, timeout=wait_s)
        if not done:
            return None
        future, self._next = self._next, None
        return future.result()

    def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None
