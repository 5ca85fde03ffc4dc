"""The newest point of every stored metric of one source (for detail pages)."""

from __future__ import annotations

import asyncio

from api.schemas.common import PointOut
from api.schemas.registry import point_out
from lifeline.core.ports import TelemetryStore

__all__ = ["latest_of"]


async def latest_of(telemetry: TelemetryStore, source_id: str) -> dict[str, PointOut]:
    metrics = await telemetry.metrics(source_id)
    found = await asyncio.gather(*(telemetry.latest([source_id], m) for m in metrics))
    return {
        metric: point_out(points[source_id])
        for metric, points in zip(metrics, found, strict=True)
        if source_id in points
    }
