"""Server-Sent Events framing of the live alert stream.

:func:`sse_frames` turns an async iterator of :class:`AlertEvent` into SSE frames
(``id:`` = alert id, ``event: alert``, ``data:`` = the AlertEvent JSON of the
contract), with a comment line every ``keepalive_s`` so proxies keep the connection.
The source is pumped by its own task, so a keepalive never cancels a pending read. When
the client goes away the source is released with ``aclose()`` or ``close()``, so a
``BroadcastNotifier`` subscription can be the feed as it is (``live=notifier.subscribe``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Final

import msgspec

from lifeline.core.payloads import AlertEvent

__all__ = ["KEEPALIVE_S", "format_event", "sse_frames"]

log = logging.getLogger(__name__)

KEEPALIVE_S: Final = 15.0
_QUEUE_SIZE: Final = 1000
_END: Final = object()


def format_event(event: AlertEvent) -> bytes:
    data = msgspec.json.encode(event)
    return b"id: %d\nevent: alert\ndata: %s\n\n" % (event.id, data)


async def sse_frames(
    events: AsyncIterator[AlertEvent], keepalive_s: float = KEEPALIVE_S
) -> AsyncGenerator[bytes, None]:
    """SSE frames of ``events``; ends when ``events`` ends (or fails, which is logged)."""
    queue: asyncio.Queue[object] = asyncio.Queue(_QUEUE_SIZE)

    async def pump() -> None:
        try:
            async for event in events:
                await queue.put(event)
        except Exception:
            log.exception("api_stream_source_failed")
        await queue.put(_END)

    task = asyncio.create_task(pump())
    try:
        yield b"retry: 5000\n\n"
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if item is _END:
                return
            if isinstance(item, AlertEvent):
                yield format_event(item)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await _close(events)


async def _close(events: AsyncIterator[AlertEvent]) -> None:
    """Release the source: ``aclose()`` (async generators) or ``close()`` (subscriptions)."""
    try:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
            return
        close = getattr(events, "close", None)
        if close is not None:
            close()
    except Exception:
        log.exception("api_stream_source_close_failed")
