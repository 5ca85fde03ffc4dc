"""``RulesService``: one scaled-out rules worker (``lifeline rules --partitions 0-7``).

Consumes the internal record topics of the partitions it owns (persistent MQTT session,
QoS 1, manual ack after ``AlertEngine.accept`` has saved every alert change) and answers
alert actions for those partitions (see :mod:`alerts.remote`). Per-series rule state
stays correct when several workers run because a partition is owned by exactly one
worker and every record a rule's state depends on lands in the same partition.

Records of one device may reach the partition through different ingest workers (a
shared subscription spreads messages round-robin) and so slightly out of order; the
engine ignores a record older than its series' newest (contract: late records do not
move rules backwards). The worker therefore gathers messages for ``reorder_ms``
(default 100 ms) and evaluates them sorted by event time. With EMQX, set the shared
subscription strategy to ``hash_topic`` so one device always goes to one ingest worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import msgspec

from alerts.engine import AlertEngine
from alerts.remote import ActionReply, ActionRequest
from lifeline.core.codec import decode_records
from lifeline.core.errors import NotFoundError, TransitionError
from lifeline.core.partitions import INTERNAL_PREFIX, action_topic, records_topic
from lifeline.core.records import Record
from lifeline.core.topics import Lane
from lifeline.mqtt import BrokerAddress, ConsumerSession, ManualAckConsumer, SessionOptions

__all__ = ["RulesService"]

log = logging.getLogger(__name__)

_REQUEST = msgspec.json.Decoder(ActionRequest)
_ENCODER = msgspec.json.Encoder()


class RulesService:
    def __init__(
        self,
        engine: AlertEngine,
        address: BrokerAddress,
        *,
        partitions: Iterable[int],
        client_id: str,
        prefix: str = INTERNAL_PREFIX,
        reorder_ms: int = 100,
    ) -> None:
        self._engine = engine
        self._address = address
        self._partitions = sorted(set(partitions))
        self._client_id = client_id
        self._prefix = prefix
        self._reorder_s = reorder_ms / 1000
        self.ready = asyncio.Event()
        self._up: set[Lane] = set()
        self.records = 0

    async def run(self) -> None:
        """Consume until cancelled (``lifeline.mqtt.consumer``: persistent sessions,
        manual acks, reconnect with backoff); a record is acknowledged only after the
        engine has evaluated it and saved any alert change. One session per lane: gas
        and station records and alert actions, and bulk meter records apart (a meter
        backlog never delays an alarm)."""
        await asyncio.gather(*(self._run_lane(lane) for lane in Lane))

    async def _run_lane(self, lane: Lane) -> None:
        topics = [records_topic(p, self._prefix, lane) for p in self._partitions]
        client_id = self._client_id
        if lane is Lane.ALARMS:
            topics += [action_topic(p, self._prefix) for p in self._partitions]
        else:
            client_id += "-bulk"
        consumer = ManualAckConsumer(
            self._address,
            SessionOptions(client_id=client_id, filters=topics),
            name="rules" if lane is Lane.ALARMS else "rules_bulk",
            on_state=lambda up: self._connected(lane, up),
        )
        await consumer.run(self._consume)

    def _connected(self, lane: Lane, up: bool) -> None:
        if up:
            self._up.add(lane)
        else:
            self._up.discard(lane)
        if len(self._up) == len(Lane):
            self.ready.set()
            log.info("rules_partitions", extra={"partitions": self._partitions})
        else:
            self.ready.clear()

    async def _consume(self, session: ConsumerSession) -> None:
        while True:
            await self._round(session)

    async def _round(self, session: ConsumerSession) -> None:
        """Gather messages for the reorder window, evaluate them sorted, then ack."""
        first = await session.next(None)
        assert first is not None
        messages = [first]
        deadline = asyncio.get_running_loop().time() + self._reorder_s
        while len(messages) < 1000:
            remaining = deadline - asyncio.get_running_loop().time()
            message = await session.next(remaining) if remaining > 0 else None
            if message is None:
                break
            messages.append(message)
        records: list[Record] = []
        for message in messages:
            payload = message.payload
            data = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
            if "/actions/" in message.topic.value:
                await self._answer(session, data)
            else:
                records += self._decode(data)
        await self._engine.accept(records)  # sorts by event time
        self.records += len(records)
        for message in messages:
            session.ack(message)

    @staticmethod
    def _decode(data: bytes) -> list[Record]:
        try:
            return decode_records(data)
        except msgspec.DecodeError:
            log.error("rules_bad_record_batch", extra={"bytes": len(data)})
            return []

    async def _answer(self, session: ConsumerSession, data: bytes) -> None:
        try:
            request = _REQUEST.decode(data)
        except msgspec.DecodeError:
            log.error("rules_bad_action_request", extra={"bytes": len(data)})
            return
        try:
            alert = await self._engine.act(request.alert_id, request.command)
            reply = ActionReply(request.request_id, ok=True, alert=alert)
        except NotFoundError as error:
            reply = ActionReply(request.request_id, False, error="not_found", detail=str(error))
        except TransitionError as error:
            reply = ActionReply(request.request_id, False, error="transition", detail=str(error))
        await session.publish(request.reply_to, _ENCODER.encode(reply))
