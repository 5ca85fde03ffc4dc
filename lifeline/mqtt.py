"""MQTT plumbing shared by the services: broker URLs and a resilient outbound publisher.

:class:`AlertPublisher` keeps one connection open (reconnecting with back-off) and
drains a bounded outbox at QoS 1, so alert notifications published while the broker is
briefly away are sent when it returns instead of being dropped. Alerts themselves are
durable in the alert store; this is their notification path.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiomqtt

from lifeline.core.errors import ConfigError

__all__ = ["AlertPublisher", "BrokerAddress", "Inbox", "parse_mqtt_url"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerAddress:
    """Where and as whom to connect. ``tls``: verify the broker's certificate against
    ``ca_file`` (or the system's CAs when None) and its host name."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None

    def client(self, identifier: str, **options: Any) -> aiomqtt.Client:
        """An aiomqtt client for this broker: address, credentials and TLS in one place,
        so no connection of ours can forget one of them. ``options`` go to aiomqtt
        (``clean_session``, ``max_inflight_messages``, ``timeout`` ...)."""
        return aiomqtt.Client(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            identifier=identifier,
            tls_context=self.tls_context(),
            **options,
        )

    def tls_context(self) -> ssl.SSLContext | None:
        """A fresh client TLS context (aiomqtt ``tls_context=``), or None for plain TCP."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` or ``mqtts://[user:pass@]host[:port][?ca_file=PATH]``
    (TLS, port 8883 by default) into its parts."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(
            f"bad MQTT url {url!r}: expected mqtt[s]://[user:pass@]host[:port][?ca_file=PATH]"
        )
    tls = parts.scheme == "mqtts"
    query = parse_qs(parts.query)
    if set(query) - {"ca_file"} or (query and not tls):
        raise ConfigError(f"bad MQTT url {url!r}: the only option is ca_file, with mqtts://")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        ca_file=query["ca_file"][-1] if "ca_file" in query else None,
    )


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
        backoff = 0.2
        pending: tuple[str, bytes, int] | None = None
        while True:
            try:
                async with self._address.client(self._client_id) as client:
                    self.connected = True
                    backoff = 0.2
                    log.info("alert_publisher_connected", extra={"host": self._address.host})
                    while True:
                        if pending is None:
                            pending = await self._outbox.get()
                        topic, data, qos = pending
                        await client.publish(topic, data, qos=qos)
                        pending = None
            except aiomqtt.MqttError as error:
                self.connected = False
                log.warning(
                    "alert_publisher_disconnected", extra={"error": str(error), "retry_s": backoff}
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
            finally:
                self.connected = False


class Inbox:
    """Reads messages one at a time without ever dropping one to a timeout.

    The pending read survives a timeout and is reused by the next :meth:`get`, so a
    message that arrives exactly when a batch is flushed is not lost.
    """

    def __init__(self, client: aiomqtt.Client) -> None:
        self._messages = aiter(client.messages)
        self._next: asyncio.Future[aiomqtt.Message] | None = None

    async def get(self, wait_s: float | None) -> aiomqtt.Message | None:
        """The next message, or ``None`` after ``wait_s`` seconds; raises MqttError."""
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
