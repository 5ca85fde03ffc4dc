"""Registry entities and the in-memory index the ingester and the API look things up in.

The registry is seeded deterministically at first start (see ``lifeline.seed``) and then
lives in the durable store; administrators may edit it.

The entities hold only strings and numbers, so they are declared ``gc=False``: the city's
1.45 million meters are then never walked by the cyclic garbage collector (a full
collection over them stalled the event loop for ~200 ms) and each is 16 bytes smaller.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from lifeline.core.ids import SourceKind

__all__ = ["Channel", "Enterprise", "Meter", "Registry", "Station", "Utility"]


class Utility(msgspec.Struct, frozen=True, gc=False):
    """An MQTT account: a gas utility, an alarm vendor, or one heating enterprise."""

    id: str  # e.g. "gas-huarun", "heat-001"
    name: str
    kind: str  # "gas" | "heating"


class Channel(msgspec.Struct, frozen=True, gc=False):
    """A gas-leak alarm channel (one detector point of an alarm controller)."""

    id: str  # GAS-0001 .. GAS-0525
    name: str
    district: str
    site_type: str  # kitchen | restaurant | valve_well | utility_manhole | regulator_station
    address: str
    lat: float
    lon: float
    owner: str  # utility id
    low_pct: float = 20.0
    high_pct: float = 50.0
    registered_at_ms: int | None = None  # see Registry: None = seeded before it was kept


class Enterprise(msgspec.Struct, frozen=True, gc=False):
    """A heating enterprise; it publishes under its own utility account."""

    id: str  # HEAT-001 .. HEAT-134
    name: str
    district: str
    owner: str  # utility id, e.g. heat-001
    lat: float
    lon: float
    registered_at_ms: int | None = None


class Station(msgspec.Struct, frozen=True, gc=False):
    """A heat-exchange station of an enterprise."""

    id: str  # HEAT-001-S01
    enterprise_id: str
    name: str
    district: str
    lat: float
    lon: float
    area_m2: float
    registered_at_ms: int | None = None


class Meter(msgspec.Struct, frozen=True, gc=False):
    """An IoT smart gas meter of a household."""

    id: str  # MTR-00000001
    owner: str  # utility id
    district: str
    address: str
    lat: float
    lon: float
    model: str  # G1.6 | G2.5
    registered_at_ms: int | None = None


class Registry:
    """Indexed, read-mostly view of all registry entities.

    ``owner_of`` answers "which utility may publish for this id"; ``kind_of`` which
    :class:`SourceKind` an id names; both return ``None`` for unknown ids.

    One process holds ONE live registry object that every component (ingest decode,
    rule engine, telemetry tags, API) reads at the moment it needs an entry; edits are
    applied to that object in place (an administrator's ``PUT``, or :meth:`adopt` of a
    reloaded copy), so they reach every component at once. Components never keep data
    derived from it unless keyed by the values it was derived from.
    """

    def __init__(
        self,
        utilities: Iterable[Utility],
        channels: Iterable[Channel],
        enterprises: Iterable[Enterprise],
        stations: Iterable[Station],
        meters: Iterable[Meter],
    ) -> None:
        self.utilities = {u.id: u for u in utilities}
        self.channels = {c.id: c for c in channels}
        self.enterprises = {e.id: e for e in enterprises}
        self.stations = {s.id: s for s in stations}
        self.meters = {m.id: m for m in meters}
        self.stations_by_enterprise: dict[str, list[Station]] = {}
        for station in self.stations.values():
            self.stations_by_enterprise.setdefault(station.enterprise_id, []).append(station)

    def adopt(self, other: Registry) -> None:
        """Take ``other``'s entries in place (a reload from the store): everyone holding
        this object sees the new entries from now on. No await, so no reader sees half."""
        self.utilities = other.utilities
        self.channels = other.channels
        self.enterprises = other.enterprises
        self.stations = other.stations
        self.meters = other.meters
        self.stations_by_enterprise = other.stations_by_enterprise

    def kind_of(self, source_id: str) -> SourceKind | None:
        if source_id in self.channels:
            return SourceKind.GAS_CHANNEL
        if source_id in self.meters:
            return SourceKind.METER
        if source_id in self.stations:
            return SourceKind.STATION
        if source_id in self.enterprises:
            return SourceKind.ENTERPRISE
        return None

    def owner_of(self, source_id: str) -> str | None:
        if (channel := self.channels.get(source_id)) is not None:
            return channel.owner
        if (meter := self.meters.get(source_id)) is not None:
            return meter.owner
        if (station := self.stations.get(source_id)) is not None:
            return self.enterprises[station.enterprise_id].owner
        if (enterprise := self.enterprises.get(source_id)) is not None:
            return enterprise.owner
        return None

    def district_of(self, source_id: str) -> str | None:
        for table in (self.channels, self.meters, self.stations, self.enterprises):
            entity = table.get(source_id)
            if entity is not None:
                district: str = entity.district
                return district
        return None

    def enterprise_of(self, source_id: str) -> str | None:
        if source_id in self.enterprises:
            return source_id
        station = self.stations.get(source_id)
        return None if station is None else station.enterprise_id
