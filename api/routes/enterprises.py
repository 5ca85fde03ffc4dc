"""``/api/v1/enterprises``: heating enterprises with on-line status and today's on-line rate.

The list takes four batched store calls whatever its size: ``last_seen`` of every
station and enterprise, ``coverage`` of every enterprise since local midnight, the
first record of enterprises without a registration time, and the open alerts.
Today's rate counts from local midnight or, when later, the enterprise's registration
(its first record for seeded demo data: the registry keeps no registration time for
them): a platform started at 01:40 does not count the night before it as off-line.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth.guard import PrincipalDep
from api.auth.scope import check_source
from api.deps import (
    AlertStoreDep,
    ClockDep,
    RegistryDep,
    SourceNow,
    SourceNowDep,
    TelemetryDep,
)
from api.listing import ListingDep
from api.lookup import require_enterprise
from api.maintenance_index import ActiveMaintenanceDep
from api.presence import is_online
from api.routes import API_PREFIX
from api.schemas.common import Page
from api.schemas.maintenance import SourceMaintenance
from api.schemas.registry import EnterpriseDetail, EnterpriseOut, StationOut
from api.timeparse import local_midnight_ms
from lifeline.core.ports import AlertStore, TelemetryStore
from lifeline.core.records import PRESENCE_SLOT_MS
from lifeline.core.registry import Enterprise, Registry

__all__ = ["counting_start", "online_rate", "router"]

router = APIRouter(prefix=f"{API_PREFIX}/enterprises", tags=["heating"])

EnterpriseId = Annotated[str, Path(description="enterprise id, e.g. HEAT-001")]


def online_rate(covered_slots: int, since_ms: int, now_ms: int) -> float:
    """Share of the presence slots elapsed since ``since_ms`` (the current one counts)
    in which data arrived."""
    elapsed = max(1, math.ceil((now_ms - since_ms) / PRESENCE_SLOT_MS))
    return min(1.0, covered_slots / elapsed)


def counting_start(day_start_ms: int, registered_ms: int | None) -> int:
    """Where an on-line rate over a period starting at ``day_start_ms`` counts from: the
    period's start, or the slot of the source's registration (for seeded sources: its
    first record) when that is later; a source not yet heard of counts from the start."""
    if registered_ms is None:
        return day_start_ms
    return max(day_start_ms, registered_ms - registered_ms % PRESENCE_SLOT_MS)


def _owner(enterprise: Enterprise) -> str:
    return enterprise.owner


async def _summaries(
    enterprises: Sequence[Enterprise],
    registry: Registry,
    telemetry: TelemetryStore,
    alerts: AlertStore,
    now_ms: int,
    now_of: SourceNow,
) -> tuple[list[EnterpriseOut], dict[str, int]]:
    """One summary per enterprise, and the last_seen of every station and enterprise.
    On line is judged at the enterprise's own feed's "now" (``now_of``); today's slots
    run to ``now_ms``."""
    enterprise_ids = [e.id for e in enterprises]
    station_ids = [s.id for e in enterprises for s in registry.stations_by_enterprise.get(e.id, [])]
    midnight = local_midnight_ms(now_ms)
    seen, coverage, open_alerts, first = await asyncio.gather(
        telemetry.last_seen([*station_ids, *enterprise_ids]),
        telemetry.coverage(enterprise_ids, midnight, now_ms + 1),
        alerts.open_alerts(),
        telemetry.first_seen([e.id for e in enterprises if e.registered_at_ms is None]),
    )
    open_counts: Counter[str] = Counter()
    for alert in open_alerts:
        owner = alert.enterprise_id or registry.enterprise_of(alert.source_id)
        if owner is not None:
            open_counts[owner] += 1
    out: list[EnterpriseOut] = []
    for enterprise in enterprises:
        stations = registry.stations_by_enterprise.get(enterprise.id, [])
        times = [seen[i] for i in (enterprise.id, *(s.id for s in stations)) if i in seen]
        last_data = max(times) if times else None
        since = counting_start(midnight, enterprise.registered_at_ms or first.get(enterprise.id))
        out.append(
            EnterpriseOut.of(
                enterprise,
                station_count=len(stations),
                online=is_online(last_data, now_of(enterprise.id)),
                last_data_ms=last_data,
                online_rate_today=online_rate(coverage.get(enterprise.id, 0), since, now_ms),
                open_alert_count=open_counts[enterprise.id],
            )
        )
    return out, seen


@router.get("", summary="Heating enterprises with on-line status and today's on-line rate")
async def list_enterprises(
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    clock: ClockDep,
    now_of: SourceNowDep,
    listing: ListingDep,
    active: ActiveMaintenanceDep,
    district: Annotated[str | None, Query(description="e.g. 黄岛")] = None,
    online: Annotated[bool | None, Query(description="only on-line (or off-line) ones")] = None,
) -> Page[EnterpriseOut]:
    enterprises = listing.select(registry.enterprises.values(), _owner, district=district)
    rows, _ = await _summaries(enterprises, registry, telemetry, alerts, clock.now_ms(), now_of)
    if online is not None:
        rows = [r for r in rows if r.online is online]
    shown = listing.shown(rows)
    for row in shown:
        row.maintenance = SourceMaintenance.of_window(active.of(row.id))
    return Page(items=shown, total=len(rows))


@router.get("/{enterprise_id}", summary="One enterprise with its stations")
async def get_enterprise(
    enterprise_id: EnterpriseId,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    clock: ClockDep,
    now_of: SourceNowDep,
    principal: PrincipalDep,
    active: ActiveMaintenanceDep,
) -> EnterpriseDetail:
    enterprise = require_enterprise(registry, enterprise_id)
    await check_source(principal, registry, alerts, enterprise_id)
    rows, seen = await _summaries([enterprise], registry, telemetry, alerts, clock.now_ms(), now_of)
    stations = [
        StationOut.of(s, seen.get(s.id), is_online(seen.get(s.id), now_of(s.id)))
        for s in sorted(registry.stations_by_enterprise.get(enterprise.id, []), key=lambda s: s.id)
    ]
    rows[0].maintenance = SourceMaintenance.of_window(active.of(enterprise.id))
    for station in stations:
        station.maintenance = SourceMaintenance.of_window(active.of(station.id))
    return EnterpriseDetail(**rows[0].model_dump(), stations=stations)
