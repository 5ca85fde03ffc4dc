"""Downsampled history, metric names and device events of one source."""

from __future__ import annotations

from pydantic import BaseModel

from lifeline.core.ids import SourceKind
from lifeline.core.records import Bucket, DeviceEvent
from lifeline.core.timeutil import iso_ms

__all__ = ["BucketOut", "EventOut", "MetricsOut", "SeriesOut"]


class BucketOut(BaseModel):
    ts: str
    ts_ms: int
    mean: float
    min: float
    max: float
    last: float
    count: int

    @classmethod
    def of(cls, bucket: Bucket) -> BucketOut:
        return cls(
            ts=iso_ms(bucket.ts_ms),
            ts_ms=bucket.ts_ms,
            mean=bucket.mean,
            min=bucket.min,
            max=bucket.max,
            last=bucket.last,
            count=bucket.count,
        )


class SeriesOut(BaseModel):
    """Buckets of ``step_ms`` over ``[start, end)``; empty buckets are left out."""

    source_id: str
    source_kind: SourceKind
    metric: str
    start: str
    start_ms: int
    end: str
    end_ms: int
    step_ms: int
    buckets: list[BucketOut]


class MetricsOut(BaseModel):
    source_id: str
    source_kind: SourceKind
    metrics: list[str]


class EventOut(BaseModel):
    ts: str
    ts_ms: int
    type: str
    detail: str | None

    @classmethod
    def of(cls, event: DeviceEvent) -> EventOut:
        return cls(ts=iso_ms(event.ts_ms), ts_ms=event.ts_ms, type=event.type, detail=event.detail)
