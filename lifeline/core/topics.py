"""The MQTT topic contract: inbound topics parsed into values, outbound topics built.

Inbound (``{prefix}`` defaults to ``lifeline/v1``)::

    {prefix}/gas/{channel_id}/reading
    {prefix}/gas/{channel_id}/event
    {prefix}/meter/{meter_id}/reading
    {prefix}/heat/{enterprise_id}/{station_id}/telemetry

Outbound::

    {prefix}/alerts/{severity}/{source_id}
    {prefix}/rejects/{utility_id}
"""

from __future__ import annotations

import enum

import msgspec

from lifeline.core.errors import RejectError
from lifeline.core.ids import is_valid_id

__all__ = [
    "DEFAULT_PREFIX",
    "InboundTopic",
    "Lane",
    "RecordKind",
    "alert_topic",
    "gas_event_topic",
    "gas_reading_topic",
    "inbound_filters",
    "lane_of",
    "meter_reading_topic",
    "parse_inbound",
    "rejects_topic",
    "station_topic",
]

DEFAULT_PREFIX = "lifeline/v1"


class RecordKind(enum.StrEnum):
    """The four inbound payload types of the contract."""

    GAS_READING = "gas_reading"
    GAS_EVENT = "gas_event"
    METER_READING = "meter_reading"
    STATION_TELEMETRY = "station_telemetry"


class InboundTopic(msgspec.Struct, frozen=True):
    """A parsed inbound topic. ``enterprise_id`` is set for heating telemetry only."""

    kind: RecordKind
    source_id: str
    enterprise_id: str | None = None


class Lane(enum.StrEnum):
    """Ingest lanes: alarm-bearing traffic never queues behind bulk uploads. Each lane
    has its own broker session and queue, batches and store writes; records of one
    series always travel in the same lane (the lane follows the record kind)."""

    ALARMS = "alarms"  # gas readings and events, station telemetry
    BULK = "bulk"  # smart-meter readings (head-ends upload days of intervals at night)


def inbound_filters(prefix: str = DEFAULT_PREFIX, lane: Lane | None = None) -> list[str]:
    """MQTT subscription filters covering every inbound topic of the contract (of one
    ``lane``, or all)."""
    alarms = [f"{prefix}/gas/+/reading", f"{prefix}/gas/+/event", f"{prefix}/heat/+/+/telemetry"]
    bulk = [f"{prefix}/meter/+/reading"]
    if lane is None:
        return [*alarms[:2], *bulk, alarms[2]]
    return alarms if lane is Lane.ALARMS else bulk


def lane_of(topic: str, prefix: str = DEFAULT_PREFIX) -> Lane:
    """The lane of an inbound topic (anything not a meter's is an alarm-bearing one)."""
    return Lane.BULK if topic.startswith(f"{prefix}/meter/") else Lane.ALARMS


def parse_inbound(topic: str, prefix: str = DEFAULT_PREFIX) -> InboundTopic:
    """Parse an inbound topic or raise :class:`RejectError` with reason ``bad_topic``."""
    if not topic.startswith(prefix + "/"):
        raise RejectError("bad_topic", f"topic does not start with {prefix}/")
    parts = topic[len(prefix) + 1 :].split("/")
    parsed: InboundTopic | None = None
    if len(parts) == 3 and parts[0] == "gas" and parts[2] == "reading":
        parsed = InboundTopic(RecordKind.GAS_READING, parts[1])
    elif len(parts) == 3 and parts[0] == "gas" and parts[2] == "event":
        parsed = InboundTopic(RecordKind.GAS_EVENT, parts[1])
    elif len(parts) == 3 and parts[0] == "meter" and parts[2] == "reading":
        parsed = InboundTopic(RecordKind.METER_READING, parts[1])
    elif len(parts) == 4 and parts[0] == "heat" and parts[3] == "telemetry":
        if not is_valid_id(parts[1]):
            raise RejectError("bad_id", f"enterprise id {parts[1]!r} is not a valid identifier")
        parsed = InboundTopic(RecordKind.STATION_TELEMETRY, parts[2], parts[1])
    if parsed is None:
        raise RejectError("bad_topic", f"{topic!r} is not an inbound topic of contract v1")
    if not is_valid_id(parsed.source_id):
        raise RejectError("bad_id", f"id {parsed.source_id!r} is not a valid identifier")
    return parsed


def gas_reading_topic(channel_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/gas/{channel_id}/reading"


def gas_event_topic(channel_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/gas/{channel_id}/event"


def meter_reading_topic(meter_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/meter/{meter_id}/reading"


def station_topic(enterprise_id: str, station_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/heat/{enterprise_id}/{station_id}/telemetry"


def alert_topic(severity: str, source_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Topic on which an AlertEvent for ``source_id`` is published."""
    return f"{prefix}/alerts/{severity}/{source_id}"


def rejects_topic(utility_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Topic on which a utility's rejects are published."""
    return f"{prefix}/rejects/{utility_id}"
