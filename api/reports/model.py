"""What a report holds: pure values (msgspec Structs), rendered to JSON, CSV and XLSX."""

from __future__ import annotations

import msgspec

from api.kpis import Chatter, Flood, NoisySource

__all__ = [
    "BucketRow",
    "HandlingTimes",
    "OnlineRow",
    "Report",
    "StaleRow",
    "Summary",
]


class OnlineRow(msgspec.Struct, frozen=True):
    """A source's on-line rate: present slots over the 5-min slots from the later of the
    report's start and the source's registration (first record for seeded demo data)
    to the earlier of the report's end and now. ``rate`` None: not registered yet."""

    id: str
    name: str
    district: str
    owner: str
    counted_from_ms: int | None
    expected_slots: int
    present_slots: int
    rate: float | None


class HandlingTimes(msgspec.Struct, frozen=True):
    """Times of the alerts raised in the period, in ms (None: none to measure)."""

    count: int
    mean_ms: int | None
    median_ms: int | None
    p90_ms: int | None


class BucketRow(msgspec.Struct, frozen=True):
    label: str
    start_ms: int
    alarms: int  # alerts raised
    annunciations: int  # raise + reactivate entries (ISA-18.2)
    acked: int  # of the alarms raised here, acknowledged (ever)
    mean_ack_ms: int | None
    closed: int
    mean_resolve_ms: int | None


class StaleRow(msgspec.Struct, frozen=True):
    id: int
    source_id: str
    rule: str
    severity: str
    raised_at_ms: int
    active_ms: int  # at the end of the period


class Summary(msgspec.Struct, frozen=True):
    enterprises: int
    enterprise_online_rate: float | None  # present over expected slots, all enterprises
    channels: int
    channel_online_rate: float | None
    alarms: int
    suppressed: int  # raised out of service (maintenance windows)
    acked: int
    closed: int
    time_to_ack: HandlingTimes
    time_to_resolve: HandlingTimes
    annunciations: int
    operators: int
    per_operator_per_10min_avg: float
    per_operator_per_10min_max: int
    floods: int
    flood_ms: int
    chattering: int
    stale: int


class Report(msgspec.Struct, frozen=True):
    kind: str
    label: str
    start_ms: int
    end_ms: int
    generated_at_ms: int
    summary: Summary
    enterprises: list[OnlineRow]
    channels: list[OnlineRow]
    buckets: list[BucketRow]
    by_severity: dict[str, int]
    by_rule: dict[str, int]
    by_district: dict[str, int]
    floods: list[Flood]
    chattering: list[Chatter]
    stale: list[StaleRow]
    top_sources: list[NoisySource]
