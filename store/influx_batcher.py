"""Group commit of line-protocol writes: one request in flight, in arrival order.

:meth:`LineBatcher.write` queues its lines and returns when every request carrying
them was accepted, or raises the error of the first one that failed. A single sender
task sends requests of at most ``batch_size`` lines, one at a time: lines of writes
that arrive while a request is in flight share the next request, and a large write is
split. Writes therefore land in the order :meth:`write` was called (a later write of
the same series and ts wins), and an idle batcher sends at once.

``linger_s`` > 0 makes the sender wait up to that long for a partial request to fill
(InfluxDB prefers big requests; each waiting writer pays the delay). The default 0 is
right when the caller batches already, as the ingester does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

__all__ = ["LineBatcher"]

Send = Callable[[list[str]], Awaitable[None]]


@dataclass
class _Entry:
    """The unsent lines of one write and the future its writer awaits."""

    lines: Sequence[str]
    done: asyncio.Future[None]


class LineBatcher:
    def __init__(self, send: Send, batch_size: int, linger_s: float = 0.0) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if linger_s < 0:
            raise ValueError("linger_s must not be negative")
        self._send = send
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._queue: collections.deque[_Entry] = collections.deque()
        self._queued_lines = 0
        self._more = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    async def write(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_consume)  # a cancelled writer must not leave it unretrieved
        self._queue.append(_Entry(lines, done))
        self._queued_lines += len(lines)
        self._more.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._run(), name="influx-line-batcher")
        await asyncio.shield(done)

    async def drain(self) -> None:
        """Wait until everything queued has been sent (or has failed)."""
        if self._sender is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._sender)

    async def _run(self) -> None:
        while self._queue:
            if self._linger_s > 0 and self._queued_lines < self._batch_size:
                await self._linger()
            batch, pieces = self._take()
            try:
                await self._send(batch)
            except Exception as exc:
                for entry, last in pieces:
                    if not entry.done.done():
                        entry.done.set_exception(exc)
                    if not last:  # the rest of a failed write is not worth sending
                        self._drop(entry)
                continue
            for entry, last in pieces:
                if last and not entry.done.done():
                    entry.done.set_result(None)

    async def _linger(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._linger_s
        while self._queued_lines < self._batch_size and (left := deadline - loop.time()) > 0:
            self._more.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._more.wait(), left)

    def _take(self) -> tuple[list[str], list[tuple[_Entry, bool]]]:
        """Up to batch_size lines from the head of the queue, and which entries they
        came from (True: that entry's last piece)."""
        batch: list[str] = []
        pieces: list[tuple[_Entry, bool]] = []
        while self._queue and len(batch) < self._batch_size:
            entry = self._queue[0]
            room = self._batch_size - len(batch)
            taken = entry.lines[:room]
            batch.extend(taken)
            self._queued_lines -= len(taken)
            entry.lines = entry.lines[room:]
            last = not entry.lines
            if last:
                self._queue.popleft()
            pieces.append((entry, last))
        return batch, pieces

    def _drop(self, entry: _Entry) -> None:
        with contextlib.suppress(ValueError):
            self._queue.remove(entry)
            self._queued_lines -= len(entry.lines)


def _consume(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
