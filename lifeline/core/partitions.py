"""Partitioning of validated records for scaled-out rule workers.

Ingest workers (any number, sharing one MQTT shared subscription) republish validated
records on ``{internal}/records/{p}``; each rules worker owns a fixed set of partitions.
Every record whose rules share state must land in one partition: a station's records
(and its enterprise's deadman) are keyed by the enterprise, everything else by source.
The hash is CRC-32, stable across processes and Python versions.
"""

from __future__ import annotations

import zlib
from typing import Final

from lifeline.core.errors import ConfigError
from lifeline.core.records import Record
from lifeline.core.topics import Lane, RecordKind

__all__ = [
    "DEFAULT_PARTITIONS",
    "INTERNAL_PREFIX",
    "action_topic",
    "parse_partitions",
    "partition_key",
    "partition_of",
    "record_lane",
    "record_partition",
    "records_topic",
    "reply_topic",
]

INTERNAL_PREFIX: Final = "lifeline/internal/v1"
DEFAULT_PARTITIONS: Final = 16


def partition_key(source_id: str, enterprise_id: str | None) -> str:
    """The key that decides a record's partition (enterprise for stations)."""
    return enterprise_id or source_id


def partition_of(key: str, partitions: int) -> int:
    return zlib.crc32(key.encode()) % partitions


def record_partition(record: Record, partitions: int) -> int:
    return partition_of(partition_key(record.source_id, record.enterprise_id), partitions)


def records_topic(partition: int, prefix: str = INTERNAL_PREFIX, lane: Lane = Lane.ALARMS) -> str:
    """Where the records of a partition go; bulk (meter) records travel apart, so a
    rules worker takes gas and station records before a meter backlog (``Lane``)."""
    name = "records" if lane is Lane.ALARMS else "records-bulk"
    return f"{prefix}/{name}/{partition}"


def record_lane(record: Record) -> Lane:
    return Lane.BULK if record.kind is RecordKind.METER_READING else Lane.ALARMS


def action_topic(partition: int, prefix: str = INTERNAL_PREFIX) -> str:
    return f"{prefix}/actions/{partition}"


def reply_topic(instance: str, prefix: str = INTERNAL_PREFIX) -> str:
    return f"{prefix}/replies/{instance}"


def parse_partitions(text: str, partitions: int) -> frozenset[int]:
    """``"0-7"``, ``"0,2,4-6"`` or ``"all"`` into a set of partition numbers."""
    if text.strip() == "all":
        return frozenset(range(partitions))
    owned: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise ConfigError(f"bad partition range {part!r} in {text!r}") from None
        if not 0 <= low <= high < partitions:
            raise ConfigError(f"partitions {part!r} outside 0..{partitions - 1}")
        owned.update(range(low, high + 1))
    return frozenset(owned)
