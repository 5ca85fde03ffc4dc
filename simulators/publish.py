"""Where emissions go: the Publisher Protocol, MQTT (aiomqtt, QoS 1) and a recorder.

:class:`MqttPublisher` keeps up to ``max_inflight`` QoS 1 publishes outstanding at once
(awaiting each PUBACK one by one would cap a run at a few thousand messages a second).
When the connection fails it reconnects with back-off and publishes again every message
whose PUBACK had not arrived: delivery is at least once, which the contract makes
harmless (same series and ``ts`` overwrite). A failure is noticed at the next publish (or
while waiting for a PUBACK), however few messages are in flight.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from types import TracebackType
from typing import Protocol

import aiomqtt

from lifeline.backoff import Backoff
from lifeline.mqtt import BrokerAddress, parse_mqtt_url
from lifeline.mqtt.liveness import POLL_S

__all__ = ["BrokerAddress", "MqttPublisher", "Publisher", "RecordingPublisher", "parse_mqtt_url"]

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def publish(self, topic: str, payload: bytes) -> None: ...


class RecordingPublisher:
    """Keeps every message in memory, in publish order (tests and dry runs)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    async def publish(self, topic: str, payload: bytes) -> None:
        self.messages.append((topic, payload))


class MqttPublisher:
    """Publishes with QoS 1 over one aiomqtt connection; use as ``async with``."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        client_id: str | None = None,
        max_inflight: int = 200,
        timeout_s: float = 300.0,
        max_backoff_s: float = 10.0,
        clean_session: bool = True,
    ) -> None:
        if max_inflight < 1:
            raise ValueError("max_inflight must be at least 1")
        self._address = address
        self._client_id = client_id or f"lifeline-sim-{uuid.uuid4().hex[:8]}"
        self._max_inflight = max_inflight
        self._timeout_s = timeout_s
        self._max_backoff_s = max_backoff_s
        self._clean_session = clean_session  # False: a persistent session, as a gateway keeps
        self._client: aiomqtt.Client | None = None
        self._inflight: dict[asyncio.Task[None], tuple[str, bytes]] = {}
        self._finished: collections.deque[asyncio.Task[None]] = collections.deque()
        self.published = 0
        self.reconnects = 0

    async def __aenter__(self) -> MqttPublisher:
        await self._connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.flush()
        finally:
            for task in self._inflight:
                task.cancel()
            self._inflight.clear()
            self._finished.clear()
            await self._disconnect()

    async def publish(self, topic: str, payload: bytes) -> None:
        if self._finished or not self._connected():
            await self._reap()
        while len(self._inflight) >= self._max_inflight:
            await self._settle(asyncio.FIRST_COMPLETED)
        self._start(topic, payload)

    async def flush(self) -> None:
        """Return once every message published so far is acknowledged by the broker."""
        while self._inflight:
            await self._settle(asyncio.ALL_COMPLETED)

    def _start(self, topic: str, payload: bytes) -> None:
        if self._client is None:
            raise RuntimeError("MqttPublisher used outside 'async with'")
        coro = self._client.publish(topic, payload, qos=1, timeout=self._timeout_s)
        task = asyncio.ensure_future(coro)
        self._inflight[task] = (topic, payload)
        task.add_done_callback(self._finished.append)

    def _connected(self) -> bool:
        return self._client is not None and self._client._client.is_connected()

    async def _reap(self) -> None:
        """Before each publish: collect what finished since the last one, and on a failed
        publish or a lost connection reconnect and resend *now*. Waiting for the window
        to fill would leave a slow publisher's messages (an alarm every few seconds) on a
        dead connection until its window filled or it flushed, a minute later."""
        done: set[asyncio.Task[None]] = set()
        while self._finished:
            task = self._finished.popleft()
            if task in self._inflight:
                done.add(task)
        if not self._connected():
            for task in self._inflight:
                task.cancel()
            if self._inflight:
                rest, _ = await asyncio.wait(self._inflight)
                done |= rest
            failed = self._collect(done)
            log.warning("sim_connection_lost", extra={"messages": len(failed)})
            await self._recover(failed)
            return
        await self._handle(done)

    async def _settle(self, when: str) -> None:
        await self._handle(await self._wait(when))

    async def _handle(self, done: set[asyncio.Task[None]]) -> None:
        """Count the finished publishes; if any failed, the connection is broken: fail
        the rest of the window, reconnect and resend all of them."""
        failed = self._collect(done)
        if not failed:
            return
        if self._inflight:  # the rest shares the broken connection: fail it too
            for task in self._inflight:
                task.cancel()
            rest, _ = await asyncio.wait(self._inflight)
            failed += self._collect(rest)
        log.warning("sim_publish_failed", extra={"messages": len(failed)})
        await self._recover(failed)

    async def _recover(self, failed: list[tuple[str, bytes]]) -> None:
        await self._disconnect()
        await self._connect()
        self.reconnects += 1
        for topic, payload in failed:
            self._start(topic, payload)

    async def _wait(self, when: str) -> set[asyncio.Task[None]]:
        """PUBACKs as they come, for as long as the connection lives.

        A slow broker is waited for, never sent the same window again: the contract
        acknowledges a message only once its records are durable, and re-sending a
        whole window to a loaded broker on a timeout only loads it more (a resend storm
        a loaded machine never recovers from). A lost connection fails what is in flight
        at once (aiomqtt leaves those publishes waiting for their timeout, which is
        only the last resort, ``timeout_s``; see ``lifeline.mqtt.liveness``)."""
        while True:
            done, _ = await asyncio.wait(self._inflight, timeout=POLL_S, return_when=when)
            if done:
                return done
            if self._client is None or not self._client._client.is_connected():
                for task in self._inflight:
                    task.cancel()
                done, _ = await asyncio.wait(self._inflight)
                return done

    def _collect(self, done: set[asyncio.Task[None]]) -> list[tuple[str, bytes]]:
        failed: list[tuple[str, bytes]] = []
        for task in done:
            message = self._inflight.pop(task)
            if task.cancelled():
                failed.append(message)
            elif (error := task.exception()) is None:
                self.published += 1
            elif isinstance(error, aiomqtt.MqttError):
                failed.append(message)
            else:
                raise error
        return failed

    async def _connect(self) -> None:
        backoff = Backoff(0.5, self._max_backoff_s)
        while True:
            client = self._address.client(
                self._client_id,
                clean_session=self._clean_session,
                max_inflight_messages=self._max_inflight,
                timeout=self._timeout_s,
            )
            client.pending_calls_threshold = self._max_inflight + 1  # the window is deliberate
            try:
                await client.__aenter__()
            except aiomqtt.MqttError as error:
                delay = backoff.next_delay()
                log.warning(
                    "sim_connect_failed",
                    extra={
                        "host": self._address.host,
                        "port": self._address.port,
                        "error": str(error),
                        "retry_s": round(delay, 3),
                    },
                )
                await asyncio.sleep(delay)
                continue
            self._client = client
            log.info(
                "sim_connected",
                extra={
                    "host": self._address.host,
                    "port": self._address.port,
                    "client_id": self._client_id,
                },
            )
            return

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)
            # aiomqtt keeps an unexpected disconnection as the exception of a future its
            # __aexit__ never reads; read it, or asyncio logs "Future exception was never
            # retrieved" at ERROR for every reconnect
            lost = client._disconnected
            if lost.done() and not lost.cancelled():
                lost.exception()
