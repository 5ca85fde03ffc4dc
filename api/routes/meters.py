"""``/api/v1/meters``: household smart gas meters (10,000+: always paginated)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth.guard import PrincipalDep
from api.auth.scope import check_source
from api.deps import AlertStoreDep, RegistryDep, TelemetryDep
from api.listing import ListingDep
from api.lookup import require_meter
from api.maintenance_index import ActiveMaintenanceDep
from api.routes import API_PREFIX
from api.routes.detail import source_detail
from api.schemas.common import Page
from api.schemas.maintenance import SourceMaintenance
from api.schemas.registry import MeterDetail, MeterOut
from lifeline.core.registry import Meter

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/meters", tags=["meters"])

MeterId = Annotated[str, Path(description="meter id, e.g. MTR-00000001")]


def _owner(meter: Meter) -> str:
    return meter.owner


@router.get("", summary="Smart gas meters")
async def list_meters(
    registry: RegistryDep,
    telemetry: TelemetryDep,
    listing: ListingDep,
    active: ActiveMaintenanceDep,
    owner: Annotated[str | None, Query(description="gas utility id")] = None,
    district: Annotated[str | None, Query(description="e.g. 市北")] = None,
) -> Page[MeterOut]:
    meters = listing.select(registry.meters.values(), _owner, owner=owner, district=district)
    shown = listing.shown(meters)
    seen = await telemetry.last_seen([m.id for m in shown])
    items = [MeterOut.of(m, seen.get(m.id)) for m in shown]
    for item in items:
        item.maintenance = SourceMaintenance.of_window(active.of(item.id))
    return Page(items=items, total=len(meters))


@router.get("/{meter_id}", summary="One meter with its newest values and open alerts")
async def get_meter(
    meter_id: MeterId,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    principal: PrincipalDep,
    active: ActiveMaintenanceDep,
) -> MeterDetail:
    meter = require_meter(registry, meter_id)
    await check_source(principal, registry, alerts, meter_id)
    detail = await source_detail(telemetry, alerts, meter.id)
    base = MeterOut.of(meter, detail.last_seen_ms)
    base.maintenance = SourceMaintenance.of_window(active.of(meter.id))
    return MeterDetail(**base.model_dump(), latest=detail.latest, open_alerts=detail.open_alerts)
