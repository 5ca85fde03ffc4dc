"""The one way Lifeline consumes MQTT: a persistent QoS 1 session, acknowledged by hand.

Ingest workers and rules workers both read this way. A message is PUBACKed only when
its consumer calls :meth:`ConsumerSession.ack` (after its records are durable, or its
alert changes saved); a message not acknowledged when the connection drops stays in the
broker's session and is delivered again on reconnect. :class:`ManualAckConsumer` owns
the reconnect loop (one :class:`lifeline.backoff.Backoff`, jittered), the SUBACK check
and the session's identity (fixed client id; 3.1.1 ``clean_session=False`` or MQTT 5
with clean start off and a session expiry).

aiomqtt 2.5 has no public API for manual acknowledgement, so this module is the one
place that reaches the paho-mqtt 2.x client underneath (``client._client``):
``manual_ack_set(True)`` before connecting, ``ack(mid, qos)`` per message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from lifeline.backoff import Backoff
from lifeline.mqtt.address import BrokerAddress
from lifeline.mqtt.inbox import Inbox

__all__ = ["ConsumerSession", "ManualAckConsumer", "SessionOptions"]

log = logging.getLogger(__name__)

_SUBACK_FAILURE = 0x80


def _refused(code: int | ReasonCode) -> bool:
    """A SUBACK entry refusing the subscription (3.1.1: 0x80; 5.0: a failure code)."""
    return code.is_failure if isinstance(code, ReasonCode) else code >= _SUBACK_FAILURE


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """The persistent session's identity and what it subscribes to (all at QoS 1)."""

    client_id: str
    filters: Sequence[str]
    mqtt5: bool = False
    session_expiry_s: int = 14 * 86_400  # Mosquitto's persistent_client_expiration
    keepalive_s: int = 60
    pending_calls_threshold: int | None = None  # aiomqtt's warning level, if raised


class ConsumerSession:
    """One connected session: read messages, acknowledge them, publish replies."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self._inbox = Inbox(client)

    async def next(self, wait_s: float | None) -> aiomqtt.Message | None:
        """The next message, or None after ``wait_s`` seconds; raises MqttError."""
        return await self._inbox.get(wait_s)

    def ack(self, message: aiomqtt.Message) -> None:
        """PUBACK ``message`` now (QoS 0 messages need none)."""
        if message.qos == 0:
            return
        rc = self.client._client.ack(message.mid, message.qos)
        if rc != 0:
            log.warning("mqtt_ack_failed", extra={"mid": message.mid, "rc": int(rc)})

    async def publish(self, topic: str, payload: bytes) -> None:
        await self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        self._inbox.close()


class ManualAckConsumer:
    """Connects, subscribes and hands each session to a consume function, forever.

    ``name`` prefixes its log events (``{name}_subscribed``,
    ``{name}_broker_unavailable``, ``{name}_session_failed``). ``ready`` is set while
    subscribed; ``on_state`` (if given) is told True/False as the session comes and goes.
    """

    def __init__(
        self,
        address: BrokerAddress,
        options: SessionOptions,
        *,
        name: str,
        backoff: Backoff | None = None,
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self._address = address
        self._options = options
        self._name = name
        self._backoff = backoff or Backoff()
        self._on_state = on_state or (lambda _: None)
        self.ready = asyncio.Event()

    async def run(self, consume: Callable[[ConsumerSession], Awaitable[None]]) -> None:
        """Run until cancelled, reconnecting whenever the broker goes away or ``consume``
        fails (its unacknowledged messages come again in the session)."""
        while True:
            try:
                await self._session(consume)
            except aiomqtt.MqttError as error:
                delay = self._backoff.next_delay()
                log.warning(
                    f"{self._name}_broker_unavailable",
                    extra={
                        "host": self._address.host,
                        "port": self._address.port,
                        "error": str(error),
                        "attempt": self._backoff.attempt,
                        "retry_in_s": round(delay, 3),
                    },
                )
            except Exception:
                delay = self._backoff.next_delay()
                log.exception(f"{self._name}_session_failed", extra={"retry_in_s": round(delay, 3)})
            finally:
                self.ready.clear()
                self._on_state(False)
            await asyncio.sleep(delay)

    def _client(self) -> aiomqtt.Client:
        """A fresh client per connection, so no message of a dead session is ever acked."""
        options = self._options
        session: dict[str, Any]
        if options.mqtt5:
            # MQTT 5 persistent session: never clean start, and a session expiry (0 would
            # end the session at disconnect). clean_session must stay unset under v5.
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = options.session_expiry_s
            session = {
                "protocol": aiomqtt.ProtocolVersion.V5,
                "clean_start": False,
                "properties": properties,
            }
        else:
            session = {"protocol": aiomqtt.ProtocolVersion.V311, "clean_session": False}
        client = self._address.client(options.client_id, keepalive=options.keepalive_s, **session)
        client._client.manual_ack_set(True)  # see the module doc; before connect
        if options.pending_calls_threshold is not None:
            client.pending_calls_threshold = options.pending_calls_threshold
        return client

    async def _session(self, consume: Callable[[ConsumerSession], Awaitable[None]]) -> None:
        async with self._client() as client:
            filters = list(self._options.filters)
            granted = await client.subscribe([(f, 1) for f in filters])
            if any(_refused(code) for code in granted):
                raise aiomqtt.MqttError(f"broker refused a subscription: {list(granted)}")
            self._backoff.reset()
            log.info(
                f"{self._name}_subscribed",
                extra={
                    "host": self._address.host,
                    "port": self._address.port,
                    "client_id": self._options.client_id,
                    "filters": len(filters),
                },
            )
            self.ready.set()
            self._on_state(True)
            session = ConsumerSession(client)
            try:
                await consume(session)
            finally:
                session.close()
