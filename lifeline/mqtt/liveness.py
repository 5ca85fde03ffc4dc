"""Waiting for a broker's acknowledgement only as long as the connection lives.

aiomqtt leaves a publish waiting for its PUBACK until the call's timeout even when the
connection is already gone (it does not fail pending calls on a disconnect), so a
publisher on a dead connection would sit out the timeout before it reconnects. With
:func:`while_connected` it notices within ``poll_s``: the connection is paho's
(``is_connected()``), checked while the call waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import aiomqtt

__all__ = ["ConnectionLostError", "while_connected"]

T = TypeVar("T")

POLL_S = 1.0


class ConnectionLostError(aiomqtt.MqttError):
    """The connection went away while a call waited for the broker."""


async def while_connected(client: aiomqtt.Client, call: Awaitable[T], poll_s: float = POLL_S) -> T:
    """``await call``, failing with :class:`ConnectionLostError` as soon as ``client``'s
    connection is lost (checked every ``poll_s``)."""
    task = asyncio.ensure_future(call)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=poll_s)
            if done:
                return task.result()
            if not client._client.is_connected():
                raise ConnectionLostError("connection lost while waiting for the broker")
    finally:
        if not task.done():
            task.cancel()
