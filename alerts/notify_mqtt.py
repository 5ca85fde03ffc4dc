"""MqttNotifier: publishes every AlertEvent as JSON, QoS 1, not retained, on
``{prefix}/alerts/{severity}/{source_id}`` (contract v1).

It uses a connected client owned by the caller (an ``aiomqtt.Client`` fits
:class:`Publisher`); connecting and reconnecting are not its job. A failed publish
raises, and the engine logs and counts it.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from lifeline.core.payloads import AlertEvent
from lifeline.core.topics import DEFAULT_PREFIX, alert_topic

__all__ = ["MqttNotifier", "Publisher"]


class Publisher(Protocol):
    """The part of ``aiomqtt.Client`` the notifier needs."""

    async def publish(self, topic: str, payload: Any = None, qos: int = 0) -> Any: ...


class MqttNotifier:
    def __init__(self, client: Publisher, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._encoder = msgspec.json.Encoder()

    async def notify(self, event: AlertEvent) -> None:
        topic = alert_topic(event.severity, event.source_id, self._prefix)
        await self._client.publish(topic, payload=self._encoder.encode(event), qos=1)
