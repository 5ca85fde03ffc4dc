"""``/api/v1/stations``: heat-exchange stations, their last data and newest values."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth.guard import PrincipalDep
from api.auth.scope import check_source
from api.deps import AlertStoreDep, RegistryDep, SourceNowDep, TelemetryDep
from api.listing import ListingDep
from api.lookup import require_station
from api.maintenance_index import ActiveMaintenanceDep
from api.presence import is_online
from api.routes import API_PREFIX
from api.routes.detail import source_detail
from api.schemas.common import Page
from api.schemas.maintenance import SourceMaintenance
from api.schemas.registry import StationDetail, StationOut

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/stations", tags=["heating"])

StationId = Annotated[str, Path(description="station id, e.g. HEAT-001-S01")]


@router.get("", summary="Heat-exchange stations")
async def list_stations(
    registry: RegistryDep,
    telemetry: TelemetryDep,
    now_of: SourceNowDep,
    listing: ListingDep,
    active: ActiveMaintenanceDep,
    enterprise_id: Annotated[str | None, Query(description="e.g. HEAT-001")] = None,
    district: Annotated[str | None, Query(description="e.g. 黄岛")] = None,
) -> Page[StationOut]:
    stations = listing.select(
        registry.stations.values(),
        lambda s: registry.owner_of(s.id),
        enterprise_id=enterprise_id,
        district=district,
    )
    shown = listing.shown(stations)
    seen = await telemetry.last_seen([s.id for s in shown])
    items = [
        StationOut.of(s, seen.get(s.id), is_online(seen.get(s.id), now_of(s.id))) for s in shown
    ]
    for item in items:
        item.maintenance = SourceMaintenance.of_window(active.of(item.id))
    return Page(items=items, total=len(stations))


@router.get("/{station_id}", summary="One station with its newest values and open alerts")
async def get_station(
    station_id: StationId,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    now_of: SourceNowDep,
    principal: PrincipalDep,
    active: ActiveMaintenanceDep,
) -> StationDetail:
    station = require_station(registry, station_id)
    await check_source(principal, registry, alerts, station_id)
    detail = await source_detail(telemetry, alerts, station.id)
    online = is_online(detail.last_seen_ms, now_of(station.id))
    base = StationOut.of(station, detail.last_seen_ms, online)
    base.maintenance = SourceMaintenance.of_window(active.of(station.id))
    return StationDetail(
        **base.model_dump(),
        enterprise_name=registry.enterprises[station.enterprise_id].name,
        latest=detail.latest,
        open_alerts=detail.open_alerts,
    )
