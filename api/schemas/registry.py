"""Registry entities (channels, enterprises, stations, meters) with their live status."""

from __future__ import annotations

from pydantic import Field

from api.presence import SourceState
from api.schemas.alerts import AlertOut
from api.schemas.common import OutModel, PointOut
from api.schemas.maintenance import SourceMaintenance
from lifeline.core.records import Point
from lifeline.core.registry import Channel, Enterprise, Meter, Station

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


class LastReading(OutModel):
    ts: str
    ts_ms: int
    lel_pct: float

    @classmethod
    def of(cls, reading: Point) -> LastReading:
        return cls.fill(reading, lel_pct=reading.value)


def point_out(point: Point) -> PointOut:
    return PointOut.fill(point)


class ChannelOut(OutModel):
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
    maintenance: SourceMaintenance | None = Field(
        default=None, description="the maintenance window the source is in now, if any"
    )

    @classmethod
    def of(
        cls,
        channel: Channel,
        state: SourceState,
        reading: Point | None,
        last_seen_ms: int | None,
        open_alert_count: int,
    ) -> ChannelOut:
        return cls.fill(
            channel,
            state=state,
            last_reading=None if reading is None else LastReading.of(reading),
            last_seen_ms=last_seen_ms,
            open_alert_count=open_alert_count,
        )


class ChannelDetail(ChannelOut):
    open_alerts: list[AlertOut]


class StationOut(OutModel):
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
    maintenance: SourceMaintenance | None = Field(
        default=None, description="the maintenance window the source is in now, if any"
    )

    @classmethod
    def of(cls, station: Station, last_seen_ms: int | None, online: bool) -> StationOut:
        return cls.fill(station, online=online, last_seen_ms=last_seen_ms)


class StationDetail(StationOut):
    enterprise_name: str
    latest: dict[str, PointOut] = Field(description="newest point of every stored metric")
    open_alerts: list[AlertOut]


class EnterpriseOut(OutModel):
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
        description=(
            "5-min slots with data / slots elapsed since local (Asia/Shanghai) midnight or"
            " the enterprise's first record, whichever is later"
        ),
    )
    open_alert_count: int
    maintenance: SourceMaintenance | None = Field(
        default=None, description="the maintenance window the source is in now, if any"
    )

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
        return cls.fill(
            enterprise,
            station_count=station_count,
            online=online,
            last_data_ms=last_data_ms,
            online_rate_today=online_rate_today,
            open_alert_count=open_alert_count,
        )


class EnterpriseDetail(EnterpriseOut):
    stations: list[StationOut]


class MeterOut(OutModel):
    id: str
    owner: str
    district: str
    address: str
    lat: float
    lon: float
    model: str
    last_seen: str | None
    last_seen_ms: int | None
    maintenance: SourceMaintenance | None = Field(
        default=None, description="the maintenance window the source is in now, if any"
    )

    @classmethod
    def of(cls, meter: Meter, last_seen_ms: int | None) -> MeterOut:
        return cls.fill(meter, last_seen_ms=last_seen_ms)


class MeterDetail(MeterOut):
    latest: dict[str, PointOut] = Field(description="newest point of every stored metric")
    open_alerts: list[AlertOut]
