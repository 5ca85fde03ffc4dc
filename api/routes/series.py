"""``/api/v1/series/{source_id}``: downsampled history, metric names, device events.

``start``/``end`` are RFC 3339 (with offset) or epoch ms; the default window is the
last 24 h. Without ``step`` the smallest nice step giving at most ~500 buckets is used.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, HTTPException, Path, Query

from api.auth.guard import PrincipalDep
from api.auth.principal import Principal
from api.auth.scope import owns
from api.deps import ClockDep, RegistryDep, TelemetryDep
from api.listing import ListingDep
from api.routes import API_PREFIX
from api.schemas.common import Page
from api.schemas.series import BucketOut, EventOut, MetricsOut, SeriesOut
from api.timeparse import MAX_BUCKETS, auto_step, parse_instant, parse_step
from lifeline.core.errors import NotFoundError
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import STATION_FIELDS
from lifeline.core.records import GAS_READING_FIELDS, METER_READING_FIELDS
from lifeline.core.registry import Registry
from lifeline.core.timeutil import iso_ms

__all__ = ["KNOWN_METRICS", "router"]

router = APIRouter(prefix=f"{API_PREFIX}/series", tags=["series"])

DAY_MS: Final = 24 * 3600 * 1000
EVENTS_CAP: Final = 10_000
KNOWN_METRICS: Final[dict[SourceKind, tuple[str, ...]]] = {
    SourceKind.GAS_CHANNEL: GAS_READING_FIELDS,
    SourceKind.METER: (*METER_READING_FIELDS, "valve_code"),
    SourceKind.STATION: STATION_FIELDS,
    SourceKind.ENTERPRISE: (),
}
DEFAULT_METRIC: Final[dict[SourceKind, str]] = {
    SourceKind.GAS_CHANNEL: "lel_pct",
    SourceKind.METER: "volume_m3",
    SourceKind.STATION: "secondary_supply_temp_c",
}

SourceId = Annotated[str, Path(description="channel, meter, station or enterprise id")]
StartQ = Annotated[
    str | None, Query(description="RFC 3339 with offset, or epoch ms; default end - 24 h")
]
EndQ = Annotated[str | None, Query(description="RFC 3339 with offset, or epoch ms; default now")]


def _kind(registry: Registry, source_id: str, principal: Principal) -> SourceKind:
    kind = registry.kind_of(source_id)
    if kind is None:
        raise NotFoundError(f"source {source_id!r} is not in the registry")
    if not owns(principal, registry.owner_of(source_id)):
        raise HTTPException(403, detail=f"{source_id} is not yours")
    return kind


def _window(start: str | None, end: str | None, now_ms: int) -> tuple[int, int]:
    try:
        end_ms = now_ms if end is None else parse_instant(end)
        start_ms = end_ms - DAY_MS if start is None else parse_instant(start)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if start_ms >= end_ms:
        raise HTTPException(422, detail="start must be before end")
    return start_ms, end_ms


@router.get("/{source_id}", summary="Downsampled history of one metric of a source")
async def get_series(
    source_id: SourceId,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    clock: ClockDep,
    principal: PrincipalDep,
    metric: Annotated[
        str | None, Query(description="default: lel_pct / volume_m3 / secondary_supply_temp_c")
    ] = None,
    start: StartQ = None,
    end: EndQ = None,
    step: Annotated[
        str | None, Query(description="ms or 30s/5m/1h/1d; default: ≤ ~500 buckets")
    ] = None,
) -> SeriesOut:
    kind = _kind(registry, source_id, principal)
    start_ms, end_ms = _window(start, end, clock.now_ms())
    if metric is None:
        if kind not in DEFAULT_METRIC:
            raise HTTPException(422, detail=f"metric is required for a {kind.value}")
        metric = DEFAULT_METRIC[kind]
    if metric not in KNOWN_METRICS[kind] and metric not in await telemetry.metrics(source_id):
        raise NotFoundError(f"metric {metric!r} is not recorded for {source_id}")
    if step is None:
        step_ms = auto_step(end_ms - start_ms)
    else:
        try:
            step_ms = parse_step(step)
        except ValueError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        if (end_ms - start_ms) / step_ms > MAX_BUCKETS:
            raise HTTPException(422, detail=f"step too small: more than {MAX_BUCKETS} buckets")
    buckets = await telemetry.history(source_id, metric, start_ms, end_ms, step_ms)
    return SeriesOut(
        source_id=source_id,
        source_kind=kind,
        metric=metric,
        start=iso_ms(start_ms),
        start_ms=start_ms,
        end=iso_ms(end_ms),
        end_ms=end_ms,
        step_ms=step_ms,
        buckets=[BucketOut.of(b) for b in buckets],
    )


@router.get("/{source_id}/metrics", summary="Names of the metrics stored for a source")
async def get_metrics(
    source_id: SourceId, registry: RegistryDep, telemetry: TelemetryDep, principal: PrincipalDep
) -> MetricsOut:
    kind = _kind(registry, source_id, principal)
    return MetricsOut(
        source_id=source_id, source_kind=kind, metrics=sorted(await telemetry.metrics(source_id))
    )


@router.get("/{source_id}/events", summary="Device events of a source, newest first")
async def get_events(
    source_id: SourceId,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    clock: ClockDep,
    listing: ListingDep,
    start: StartQ = None,
    end: EndQ = None,
) -> Page[EventOut]:
    """``total`` counts the events in the window, up to 10,000."""
    _kind(registry, source_id, listing.principal)
    start_ms, end_ms = _window(start, end, clock.now_ms())
    events = await telemetry.events(source_id, start_ms, end_ms, limit=EVENTS_CAP)
    return listing.page_of(events, EventOut.of)
