"""Records for store tests, built the way the ingester builds them."""

from __future__ import annotations

from lifeline.core.payloads import (
    GasEvent,
    GasEventType,
    GasReading,
    MeterAlarm,
    MeterReading,
    StationTelemetry,
)
from lifeline.core.records import Record
from lifeline.core.topics import RecordKind

T0 = 1_700_000_400_000  # a multiple of 5 minutes (and of 1 minute)


def gas(source: str, ts_ms: int, lel: float, temp_c: float | None = None) -> Record:
    body = GasReading(ts=ts_ms, lel_pct=lel, temp_c=temp_c)
    return Record(RecordKind.GAS_READING, source, ts_ms, body, utility_id="gas-huarun")


def gas_event(source: str, ts_ms: int, kind: GasEventType, detail: str | None = None) -> Record:
    body = GasEvent(ts=ts_ms, type=kind, detail=detail)
    return Record(RecordKind.GAS_EVENT, source, ts_ms, body)


def meter(source: str, ts_ms: int, volume: float, alarms: list[MeterAlarm] | None = None) -> Record:
    body = MeterReading(ts=ts_ms, volume_m3=volume, alarms=alarms or [])
    return Record(RecordKind.METER_READING, source, ts_ms, body)


def station(station_id: str, ts_ms: int, supply_c: float = 90.0, indoor_c: float = 20.0) -> Record:
    enterprise = station_id.rsplit("-", 1)[0]
    body = StationTelemetry(
        ts=ts_ms, primary_supply_temp_c=supply_c, indoor_temp_c=indoor_c, pump_running=True
    )
    return Record(RecordKind.STATION_TELEMETRY, station_id, ts_ms, body, enterprise_id=enterprise)
