"""What the detail page of a station or meter shows besides the entity: when it was
last seen, the newest point of every stored metric, and its open alerts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from api.lookup import open_alerts_of
from api.schemas.alerts import AlertOut
from api.schemas.common import PointOut
from api.schemas.registry import point_out
from lifeline.core.ports import AlertStore, TelemetryStore

__all__ = ["SourceDetail", "latest_of", "source_detail"]


@dataclass(frozen=True, slots=True)
class SourceDetail:
    last_seen_ms: int | None
    latest: dict[str, PointOut]
    open_alerts: list[AlertOut]


async def source_detail(
    telemetry: TelemetryStore, alerts: AlertStore, source_id: str
) -> SourceDetail:
    seen, latest, mine = await asyncio.gather(
        telemetry.last_seen([source_id]),
        latest_of(telemetry, source_id),
        open_alerts_of(alerts, source_id),
    )
    return SourceDetail(seen.get(source_id), latest, [AlertOut.of(a) for a in mine])


async def latest_of(telemetry: TelemetryStore, source_id: str) -> dict[str, PointOut]:
    metrics = await telemetry.metrics(source_id)
    found = await asyncio.gather(*(telemetry.latest([source_id], m) for m in metrics))
    return {
        metric: point_out(points[source_id])
        for metric, points in zip(metrics, found, strict=True)
        if source_id in points
    }
