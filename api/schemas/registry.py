"""Registry entities (channels, enterprises, stations, meters) with their live status."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.presence import SourceState
from api.schemas.alerts import AlertOut
from api.schemas.common import PointOut, iso_or_none
from lifeline.core.records import Point
from lifeline.core.registry import Channel, Enterprise, Meter, Station
from lifeline.core.timeutil import iso_ms

__all__ = [
    "ChannelDetail",
    "ChannelOut",
    "EnterpriseDetail",
    "EnterpriseOut",
    "LastReading",
    "MeterDetail",
    "MeterOut",
    "StationDetail",
    "StationOut",
    "point_out",
]


class LastReading(BaseModel):
    ts: str
    ts_ms: int
    lel_pct: float


def point_out(point: Point) -> PointOut:
    return PointOut(ts=iso_ms(point.ts_ms), ts_ms=point.ts_ms, value=point.value)


class ChannelOut(BaseModel):
    id: str
    name: str
    district: str
    site_type: str
    address: str
    lat: float
    lon: float
    owner: str
    low_pct: float
    high_pct: float
    state: SourceState
    last_reading: LastReading | None
    last_seen: str | None
    last_seen_ms: int | None
    open_alert_count: int

    @classmethod
    def of(
        cls,
        channel: Channel,
        state: SourceState,
        reading: Point | None,
        last_seen_ms: int | None,
        open_alert_count: int,
    ) -> ChannelOut:
        return cls(
            id=channel.id,
            name=channel.name,
            district=channel.district,
            site_type=channel.site_type,
            address=channel.address,
            lat=channel.lat,
            lon=channel.lon,
            owner=channel.owner,
            low_pct=channel.low_pct,
            high_pct=channel.high_pct,
            state=state,
            last_reading=None
            if reading is None
            else LastReading(ts=iso_ms(reading.ts_ms), ts_ms=reading.ts_ms, lel_pct=reading.value),
            last_seen=iso_or_none(last_seen_ms),
            last_seen_ms=last_seen_ms,
            open_alert_count=open_alert_count,
        )


class ChannelDetail(ChannelOut):
    open_alerts: list[AlertOut]


class StationOut(BaseModel):
    id: str
    enterprise_id: str
    name: str
    district: str
    lat: float
    lon: float
    area_m2: float
    online: bool
    last_seen: str | None
    last_seen_ms: int | None

    @classmethod
    def of(cls, station: Station, last_seen_ms: int | None, online: bool) -> StationOut:
        return cls(
            id=station.id,
            enterprise_id=station.enterprise_id,
            name=station.name,
            district=station.district,
            lat=station.lat,
            lon=station.lon,
            area_m2=station.area_m2,
            online=online,
            last_seen=iso_or_none(last_seen_ms),
            last_seen_ms=last_seen_ms,
        )


class StationDetail(StationOut):
    enterprise_name: str
    latest: dict[str, PointOut] = Field(description="newest point of every stored metric")
    open_alerts: list[AlertOut]


class EnterpriseOut(BaseModel):
    id: str
    name: str
    district: str
    owner: str
    lat: float
    lon: float
    station_count: int
    online: bool = Field(description="a station (or the enterprise) was seen in the last 15 min")
    last_data: str | None
    last_data_ms: int | None
    online_rate_today: float = Field(
        ge=0.0,
        le=1.0,
        description="5-min slots with data since local (Asia/Shanghai) midnight / slots elapsed",
    )
    open_alert_count: int

    @classmethod
    def of(
        cls,
        enterprise: Enterprise,
        station_count: int,
        online: bool,
        last_data_ms: int | None,
        online_rate_today: float,
        open_alert_count: int,
    ) -> EnterpriseOut:
        return cls(
            id=enterprise.id,
            name=enterprise.name,
            district=enterprise.district,
            owner=enterprise.owner,
            lat=enterprise.lat,
            lon=enterprise.lon,
            station_count=station_count,
            online=online,
            last_data=iso_or_none(last_data_ms),
            last_data_ms=last_data_ms,
            online_rate_today=online_rate_today,
            open_alert_count=open_alert_count,
        )


class EnterpriseDetail(EnterpriseOut):
    stations: list[StationOut]


class MeterOut(BaseModel):
    id: str
    owner: str
    district: str
    address: str
    lat: float
    lon: float
    model: str
    last_seen: str | None
    last_seen_ms: int | None

    @classmethod
    def of(cls, meter: Meter, last_seen_ms: int | None) -> MeterOut:
        return cls(
            id=meter.id,
            owner=meter.owner,
            district=meter.district,
            address=meter.address,
            lat=meter.lat,
            lon=meter.lon,
            model=meter.model,
            last_seen=iso_or_none(last_seen_ms),
            last_seen_ms=last_seen_ms,
        )


class MeterDetail(MeterOut):
    latest: dict[str, PointOut] = Field(description="newest point of every stored metric")
    open_alerts: list[AlertOut]
