"""``/api/v1/channels``: gas-leak alarm channels with their displayed state.

Utilities see only their own channels; a crew only the channel of one of its incidents.
Administrators edit a channel with ``PUT`` (saved to the registry store, audited).

The list is computed from four batched store calls whatever its size: ``latest`` of
``lel_pct`` and ``last_seen`` for all channels, and the open alerts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import msgspec
from fastapi import APIRouter, HTTPException, Path, Query, Request

from api.auth.audit import record
from api.auth.guard import PrincipalDep
from api.auth.scope import check_source
from api.deps import (
    AlertStoreDep,
    Deps,
    RegistryDep,
    SourceNow,
    SourceNowDep,
    TelemetryDep,
)
from api.listing import ListingDep
from api.lookup import open_alerts_of, require_channel
from api.maintenance_index import ActiveMaintenanceDep
from api.presence import SourceState, displayed_state
from api.routes import API_PREFIX
from api.schemas.alerts import AlertOut
from api.schemas.common import Page
from api.schemas.maintenance import SourceMaintenance
from api.schemas.registry import ChannelDetail, ChannelOut
from api.schemas.registry_edit import ChannelEdit
from lifeline.core.alert import Alert
from lifeline.core.ports import AlertStore, TelemetryStore
from lifeline.core.records import Point
from lifeline.core.registry import Channel

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/channels", tags=["channels"])

ChannelId = Annotated[str, Path(description="channel id, e.g. GAS-0001")]


@dataclass(frozen=True, slots=True)
class _Status:
    channel: Channel
    state: SourceState
    reading: Point | None
    last_seen_ms: int | None
    open_alerts: int

    def out(self) -> ChannelOut:
        return ChannelOut.of(
            self.channel, self.state, self.reading, self.last_seen_ms, self.open_alerts
        )


def _owner(channel: Channel) -> str:
    return channel.owner


async def _statuses(
    channels: Sequence[Channel], telemetry: TelemetryStore, alerts: AlertStore, now_of: SourceNow
) -> list[_Status]:
    ids = [c.id for c in channels]
    latest, seen, open_alerts = await asyncio.gather(
        telemetry.latest(ids, "lel_pct"), telemetry.last_seen(ids), alerts.open_alerts()
    )
    by_source: defaultdict[str, list[Alert]] = defaultdict(list)
    for alert in open_alerts:
        by_source[alert.source_id].append(alert)
    out: list[_Status] = []
    for channel in channels:
        mine = by_source.get(channel.id, [])
        last_seen_ms = seen.get(channel.id)
        state = displayed_state(mine, last_seen_ms, now_of(channel.id))
        out.append(_Status(channel, state, latest.get(channel.id), last_seen_ms, len(mine)))
    return out


@router.get("", summary="Gas-leak alarm channels with state and last reading")
async def list_channels(
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    now_of: SourceNowDep,
    listing: ListingDep,
    active: ActiveMaintenanceDep,
    district: Annotated[str | None, Query(description="e.g. 市南")] = None,
    state: Annotated[SourceState | None, Query(description="displayed state")] = None,
    owner: Annotated[str | None, Query(description="gas utility id")] = None,
    site_type: Annotated[str | None, Query(description="kitchen, restaurant ...")] = None,
) -> Page[ChannelOut]:
    channels = listing.select(
        registry.channels.values(), _owner, district=district, owner=owner, site_type=site_type
    )
    statuses = await _statuses(channels, telemetry, alerts, now_of)
    if state is not None:
        statuses = [s for s in statuses if s.state == state]
    page = listing.page_of(statuses, _Status.out)
    for item in page.items:
        item.maintenance = SourceMaintenance.of_window(active.of(item.id))
    return page


@router.get("/{channel_id}", summary="One channel with its open alerts")
async def get_channel(
    channel_id: ChannelId,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    now_of: SourceNowDep,
    principal: PrincipalDep,
    active: ActiveMaintenanceDep,
) -> ChannelDetail:
    channel = require_channel(registry, channel_id)
    await check_source(principal, registry, alerts, channel_id)
    latest, seen, mine = await asyncio.gather(
        telemetry.latest([channel.id], "lel_pct"),
        telemetry.last_seen([channel.id]),
        open_alerts_of(alerts, channel.id),
    )
    last_seen_ms = seen.get(channel.id)
    state = displayed_state(mine, last_seen_ms, now_of(channel.id))
    base = ChannelOut.of(channel, state, latest.get(channel.id), last_seen_ms, len(mine))
    base.maintenance = SourceMaintenance.of_window(active.of(channel.id))
    return ChannelDetail(**base.model_dump(), open_alerts=[AlertOut.of(a) for a in mine])


@router.put("/{channel_id}", summary="Edit a channel's metadata and set-points (admin)")
async def edit_channel(
    channel_id: ChannelId,
    body: ChannelEdit,
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
    registry: RegistryDep,
    telemetry: TelemetryDep,
    alerts: AlertStoreDep,
    now_of: SourceNowDep,
    active: ActiveMaintenanceDep,
) -> ChannelDetail:
    """Applied in place to this process's live registry (the engine and ingester of
    ``lifeline up`` read the same object, so the next record is judged by it) and saved
    to the registry store; scaled-out workers adopt it within ~2 s
    (``lifeline.registry_follow``). The audit entry has the old and new values."""
    channel = require_channel(registry, channel_id)
    if deps.registry_store is None:
        raise HTTPException(503, detail="the registry is read-only in this process")
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "owner" in changes and changes["owner"] not in registry.utilities:
        raise HTTPException(422, detail=f"unknown utility {changes['owner']!r}")
    updated = msgspec.structs.replace(channel, **changes)
    if updated.low_pct >= updated.high_pct:
        raise HTTPException(422, detail="low_pct must be below high_pct")
    registry.channels[channel_id] = updated
    try:
        await deps.registry_store.save(registry)
    except BaseException:
        registry.channels[channel_id] = channel
        raise
    detail = "; ".join(f"{k}: {getattr(channel, k)!r} -> {v!r}" for k, v in changes.items())
    await record(
        request,
        principal.name,
        "registry",
        "update_channel",
        target=f"channel/{channel_id}",
        detail=detail or None,
    )
    return await get_channel(channel_id, registry, telemetry, alerts, now_of, principal, active)
