"""A resilient outbound publisher.

:class:`AlertPublisher` keeps one connection open (reconnecting with back-off) and
drains a bounded outbox at QoS 1, so alert notifications published while the broker is
briefly away are sent when it returns instead of being dropped. Alerts themselves are
durable in the alert store; this is their notification path.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import aiomqtt

from lifeline.backoff import Backoff
from lifeline.mqtt.address import BrokerAddress
from lifeline.mqtt.liveness import while_connected

__all__ = ["AlertPublisher"]

log = logging.getLogger(__name__)


class AlertPublisher:
    """Outbound QoS 1 publisher with a bounded outbox; run :meth:`run` as a task."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        client_id: str,
        outbox_size: int = 10_000,
        max_backoff_s: float = 10.0,
    ) -> None:
        self._address = address
        self._client_id = client_id
        self._outbox: asyncio.Queue[tuple[str, bytes, int]] = asyncio.Queue(outbox_size)
        self._max_backoff_s = max_backoff_s
        self.connected = False
        self.dropped = 0

    async def publish(self, topic: str, payload: Any = None, qos: int = 1) -> None:
        """Queue a message; when the outbox is full the oldest message is dropped."""
        data = payload if isinstance(payload, bytes) else str(payload or "").encode()
        if self._outbox.full():
            self._outbox.get_nowait()
            self.dropped += 1
            log.warning("alert_publish_dropped", extra={"dropped": self.dropped})
        self._outbox.put_nowait((topic, data, qos))

    async def run(self) -> None:
        backoff = Backoff(0.2, self._max_backoff_s)
        pending: tuple[str, bytes, int] | None = None
        while True:
            try:
                async with self._address.client(self._client_id) as client:
                    self.connected = True
                    backoff.reset()
                    log.info("alert_publisher_connected", extra={"host": self._address.host})
                    while True:
                        if pending is None:
                            pending = await self._outbox.get()
                        topic, data, qos = pending
                        await while_connected(
                            client, client.publish(topic, data, qos=qos, timeout=math.inf)
                        )
                        pending = None
            except aiomqtt.MqttError as error:
                self.connected = False
                delay = backoff.next_delay()
                log.warning(
                    "alert_publisher_disconnected",
                    extra={"error": str(error), "retry_s": round(delay, 3)},
                )
                await asyncio.sleep(delay)
            finally:
                self.connected = False
