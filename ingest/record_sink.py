"""``MqttRecordSink``: hands validated records to scaled-out rule workers over MQTT.

Production topology: ingest workers do not evaluate rules themselves; after the store
write they publish each batch, split by partition (see :mod:`lifeline.core.partitions`), as
msgpack on ``lifeline/internal/v1/records/{p}`` at QoS 1. ``accept`` returns only when
the broker has acknowledged every partition's message, so the inbound messages are
acked after the records are both stored and queued for their rules worker. While the
broker is unreachable it retries with backoff (back-pressure, nothing dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence

import aiomqtt

from lifeline.backoff import Backoff
from lifeline.core.codec import encode_records
from lifeline.core.partitions import (
    INTERNAL_PREFIX,
    record_lane,
    record_partition,
    records_topic,
)
from lifeline.core.records import Record
from lifeline.core.topics import Lane
from lifeline.mqtt import BrokerAddress

__all__ = ["MqttRecordSink"]

log = logging.getLogger(__name__)


class MqttRecordSink:
    """Implements ``ingest.pipeline.RecordSink`` by publishing to partition topics."""

    def __init__(
        self,
        address: BrokerAddress,
        *,
        client_id: str,
        partitions: int,
        prefix: str = INTERNAL_PREFIX,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._address = address
        self._client_id = client_id
        self._partitions = partitions
        self._prefix = prefix
        self._max_backoff_s = max_backoff_s
        self._client: aiomqtt.Client | None = None
        self._lock = asyncio.Lock()
        self.published = 0

    async def accept(self, records: Sequence[Record]) -> None:
        by_partition: dict[tuple[int, Lane], list[Record]] = defaultdict(list)
        for record in records:
            key = (record_partition(record, self._partitions), record_lane(record))
            by_partition[key].append(record)
        messages = [
            (records_topic(p, self._prefix, lane), encode_records(batch))
            for (p, lane), batch in sorted(by_partition.items())
        ]
        backoff = Backoff(0.1, self._max_backoff_s)
        async with self._lock:
            while True:
                try:
                    client = await self._connected()
                    await asyncio.gather(
                        *(client.publish(topic, payload, qos=1) for topic, payload in messages)
                    )
                    self.published += len(records)
                    return
                except aiomqtt.MqttError as error:
                    await self._drop()
                    delay = backoff.next_delay()
                    log.warning(
                        "record_sink_unavailable",
                        extra={"error": str(error), "retry_s": round(delay, 3)},
                    )
                    await asyncio.sleep(delay)

    async def close(self) -> None:
        async with self._lock:
            await self._drop()

    async def _connected(self) -> aiomqtt.Client:
        if self._client is None:
            client = self._address.client(
                self._client_id, max_inflight_messages=max(20, self._partitions)
            )
            await client.__aenter__()
            self._client = client
        return self._client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await client.__aexit__(None, None, None)
