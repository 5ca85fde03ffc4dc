"""Alert actions across processes: the API asks the rules worker that owns an alert.

In the scaled-out topology the rule engine that owns a source's open alerts is one of
several rules workers, so the API cannot change an alert itself (the engine would
overwrite it). It publishes an :class:`ActionRequest` on the owner partition's
``lifeline/internal/v1/actions/{p}`` topic; the worker applies it through
``AlertEngine.act`` and answers with an :class:`ActionReply` on the requester's
``reply_to`` topic. Payloads are JSON (msgspec), so they work over MQTT 3.1.1 too.

- the wire: :class:`ActionRequest`, :class:`ActionReply`, :func:`alert_partition_key`
  and :func:`owned_sources` (which sources' records a worker's partitions receive);
- the API side (``lifeline api``): :class:`MqttActionsBridge` implements
  ``lifeline.core.ports.AlertActions`` by sending the request and waiting for the reply,
  and feeds the alert events the workers publish on ``{prefix}/alerts/#`` into a
  :class:`alerts.notify_memory.BroadcastNotifier` for the live stream. Run
  :meth:`MqttActionsBridge.run` as a task;
- the worker side is :class:`alerts.service.RulesService`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Collection

import aiomqtt
import msgspec

from alerts.notify_memory import BroadcastNotifier
from lifeline.backoff import Backoff
from lifeline.core.alert import Alert, AlertCommand
from lifeline.core.errors import NotFoundError, TransitionError, UnavailableError
from lifeline.core.ids import SourceKind
from lifeline.core.partitions import (
    INTERNAL_PREFIX,
    action_topic,
    partition_key,
    partition_of,
    reply_topic,
)
from lifeline.core.payloads import AlertEvent
from lifeline.core.ports import AlertStore
from lifeline.core.registry import Registry
from lifeline.core.topics import DEFAULT_PREFIX
from lifeline.mqtt import BrokerAddress

__all__ = [
    "ActionReply",
    "ActionRequest",
    "ActionTimeoutError",
    "MqttActionsBridge",
    "alert_partition_key",
    "owned_sources",
]

log = logging.getLogger(__name__)


class ActionRequest(msgspec.Struct, frozen=True):
    request_id: str
    reply_to: str
    alert_id: int
    command: AlertCommand


class ActionReply(msgspec.Struct, frozen=True):
    """``error`` is ``not_found`` or ``transition`` (with ``detail``) when not ``ok``."""

    request_id: str
    ok: bool
    alert: Alert | None = None
    error: str | None = None
    detail: str | None = None


def alert_partition_key(alert: Alert) -> str:
    """The partition key of the records that drive ``alert`` (see lifeline.core.partitions)."""
    if alert.source_kind in (SourceKind.STATION, SourceKind.ENTERPRISE):
        return partition_key(alert.source_id, alert.enterprise_id)
    return alert.source_id


def owned_sources(
    registry: Registry, partitions: Collection[int], total: int
) -> Callable[[str], bool]:
    """Whether a registry source's records land in one of ``partitions`` (a station and
    its enterprise by the enterprise): the sources a rules worker arms deadman rules for
    before their first record."""

    def owns(source_id: str) -> bool:
        key = partition_key(source_id, registry.enterprise_of(source_id))
        return partition_of(key, total) in partitions

    return owns


_REPLY = msgspec.json.Decoder(ActionReply)
_EVENT = msgspec.json.Decoder(AlertEvent)
_ENCODER = msgspec.json.Encoder()


class ActionTimeoutError(UnavailableError):
    """The rules worker owning the alert did not answer in time."""


class MqttActionsBridge:
    def __init__(
        self,
        address: BrokerAddress,
        alerts: AlertStore,
        live: BroadcastNotifier,
        *,
        partitions: int,
        prefix: str = DEFAULT_PREFIX,
        internal_prefix: str = INTERNAL_PREFIX,
        timeout_s: float = 10.0,
    ) -> None:
        self._address = address
        self._alerts = alerts
        self._live = live
        self._partitions = partitions
        self._prefix = prefix
        self._internal = internal_prefix
        self._timeout_s = timeout_s
        self._instance = f"api-{uuid.uuid4().hex[:12]}"
        self._reply_topic = reply_topic(self._instance, internal_prefix)
        self._client: aiomqtt.Client | None = None
        self._waiting: dict[str, asyncio.Future[ActionReply]] = {}
        self.ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.ready.is_set()

    async def run(self) -> None:
        backoff = Backoff()
        while True:
            try:
                async with self._address.client(self._instance) as client:
                    await client.subscribe(
                        [(self._reply_topic, 1), (f"{self._prefix}/alerts/#", 1)]
                    )
                    self._client = client
                    self.ready.set()
                    backoff.reset()
                    async for message in client.messages:
                        self._dispatch(message)
            except aiomqtt.MqttError as error:
                log.warning("api_bridge_disconnected", extra={"error": str(error)})
            finally:
                self._client = None
                self.ready.clear()
            await asyncio.sleep(backoff.next_delay())

    def _dispatch(self, message: aiomqtt.Message) -> None:
        payload = message.payload
        data = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
        try:
            if message.topic.value == self._reply_topic:
                reply = _REPLY.decode(data)
                future = self._waiting.pop(reply.request_id, None)
                if future is not None and not future.done():
                    future.set_result(reply)
            else:
                event = _EVENT.decode(data)
                task = asyncio.ensure_future(self._live.notify(event))
                task.add_done_callback(lambda t: t.exception())
        except msgspec.DecodeError:
            log.warning("api_bridge_bad_message", extra={"topic": message.topic.value})

    async def act(self, alert_id: int, command: AlertCommand) -> Alert:
        alert = await self._alerts.get(alert_id)
        if alert is None:
            raise NotFoundError(f"alert {alert_id} not found")
        client = self._client
        if client is None:
            raise ActionTimeoutError("not connected to the broker")
        partition = partition_of(alert_partition_key(alert), self._partitions)
        request = ActionRequest(uuid.uuid4().hex, self._reply_topic, alert_id, command)
        future: asyncio.Future[ActionReply] = asyncio.get_running_loop().create_future()
        self._waiting[request.request_id] = future
        try:
            await client.publish(
                action_topic(partition, self._internal), _ENCODER.encode(request), qos=1
            )
            async with asyncio.timeout(self._timeout_s):
                reply = await future
        except TimeoutError:
            raise ActionTimeoutError(
                f"rules worker of partition {partition} did not answer in {self._timeout_s}s"
            ) from None
        finally:
            self._waiting.pop(request.request_id, None)
        if reply.ok and reply.alert is not None:
            return reply.alert
        if reply.error == "not_found":
            raise NotFoundError(reply.detail or f"alert {alert_id} not found")
        raise TransitionError(reply.detail or "action refused")

    async def close(self) -> None:
        for future in self._waiting.values():
            with contextlib.suppress(Exception):
                future.cancel()
