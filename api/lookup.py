"""Small look-ups shared by routers: registry entities by id (or NotFoundError) and the
open alerts of one source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

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

EntityT = TypeVar("EntityT")


def _require(table: Mapping[str, EntityT], entity_id: str, what: str) -> EntityT:
    entity = table.get(entity_id)
    if entity is None:
        raise NotFoundError(f"{what} {entity_id!r} is not in the registry")
    return entity


def require_channel(registry: Registry, channel_id: str) -> Channel:
    return _require(registry.channels, channel_id, "gas channel")


def require_enterprise(registry: Registry, enterprise_id: str) -> Enterprise:
    return _require(registry.enterprises, enterprise_id, "heating enterprise")


def require_station(registry: Registry, station_id: str) -> Station:
    return _require(registry.stations, station_id, "heat-exchange station")


def require_meter(registry: Registry, meter_id: str) -> Meter:
    return _require(registry.meters, meter_id, "gas meter")


async def open_alerts_of(alerts: AlertStore, source_id: str) -> list[Alert]:
    """Open alerts of one source, newest first."""
    found, _ = await alerts.query(
        AlertQuery(states=OPEN_STATES, source_id=source_id, limit=_MAX_OPEN_PER_SOURCE)
    )
    return found
