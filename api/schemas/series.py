"""Downsampled history, metric names and device events of one source."""

from __future__ import annotations

from pydantic import BaseModel

from api.schemas.common import OutModel
from lifeline.core.ids import SourceKind
from lifeline.core.records import Bucket, DeviceEvent

__all__ = ["BucketOut", "EventOut", "MetricsOut", "SeriesOut"]


class BucketOut(OutModel):
    ts: str
    ts_ms: int
    mean: float
    min: float
    max: float
    last: float
    count: int

    @classmethod
    def of(cls, bucket: Bucket) -> BucketOut:
        return cls.fill(bucket)


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


class EventOut(OutModel):
    ts: str
    ts_ms: int
    type: str
    detail: str | None

    @classmethod
    def of(cls, event: DeviceEvent) -> EventOut:
        return cls.fill(event)
