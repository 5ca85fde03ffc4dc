"""Small look-ups shared by routers: registry entities by id (or NotFoundError) and the
open alerts of one source."""

from __future__ import annotations

from lifeline.core.alert import OPEN_STATES, Alert, AlertQuery
from lifeline.core.errors import NotFoundError
from lifeline.core.ports import AlertStore
from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station

__all__ = [
    "open_alerts_of",
    "require_channel",
    "require_enterprise",
    "require_meter",
    "require_station",
]

_MAX_OPEN_PER_SOURCE = 1000


def require_channel(registry: Registry, channel_id: str) -> Channel:
    channel = registry.channels.get(channel_id)
    if channel is None:
        raise NotFoundError(f"gas channel {channel_id!r} is not in the registry")
    return channel


def require_enterprise(registry: Registry, enterprise_id: str) -> Enterprise:
    enterprise = registry.enterprises.get(enterprise_id)
    if enterprise is None:
        raise NotFoundError(f"heating enterprise {enterprise_id!r} is not in the registry")
    return enterprise


def require_station(registry: Registry, station_id: str) -> Station:
    station = registry.stations.get(station_id)
    if station is None:
        raise NotFoundError(f"heat-exchange station {station_id!r} is not in the registry")
    return station


def require_meter(registry: Registry, meter_id: str) -> Meter:
    meter = registry.meters.get(meter_id)
    if meter is None:
        raise NotFoundError(f"gas meter {meter_id!r} is not in the registry")
    return meter


async def open_alerts_of(alerts: AlertStore, source_id: str) -> list[Alert]:
    """Open alerts of one source, newest first."""
    found, _ = await alerts.query(
        AlertQuery(states=OPEN_STATES, source_id=source_id, limit=_MAX_OPEN_PER_SOURCE)
    )
    return found
