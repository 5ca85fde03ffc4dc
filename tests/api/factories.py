"""Records and alerts for API tests, built the way the ingester and the engine build them."""

from __future__ import annotations

import datetime as dt
from typing import Final

from alerts import lifecycle
from api.auth.secrets import API_KEY_PREFIX, new_token, token_hash
from lifeline.core.alert import Alert, AlertCategory, Severity
from lifeline.core.identity import Credential, CredentialKind, Role, User
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import (
    GasEvent,
    GasEventType,
    GasReading,
    MeterReading,
    StationTelemetry,
)
from lifeline.core.ports import AlertStore, AuthStore
from lifeline.core.records import Record
from lifeline.core.topics import RecordKind

# 2026-01-15 10:00 in Qingdao (02:00 UTC): ten hours into the local day.
NOW_MS: Final = int(dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC).timestamp() * 1000)
MINUTE: Final = 60_000
HOUR: Final = 60 * MINUTE


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now_ms: int = NOW_MS) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def gas(source: str, ts_ms: int, lel: float) -> Record:
    return Record(RecordKind.GAS_READING, source, ts_ms, GasReading(ts=ts_ms, lel_pct=lel))


def gas_event(source: str, ts_ms: int, kind: GasEventType, detail: str | None = None) -> Record:
    body = GasEvent(ts=ts_ms, type=kind, detail=detail)
    return Record(RecordKind.GAS_EVENT, source, ts_ms, body)


def meter(source: str, ts_ms: int, volume: float) -> Record:
    body = MeterReading(ts=ts_ms, volume_m3=volume)
    return Record(RecordKind.METER_READING, source, ts_ms, body)


def station(station_id: str, ts_ms: int, supply_c: float = 50.0) -> Record:
    enterprise = station_id.rsplit("-", 1)[0]
    body = StationTelemetry(ts=ts_ms, secondary_supply_temp_c=supply_c, pump_running=True)
    return Record(RecordKind.STATION_TELEMETRY, station_id, ts_ms, body, enterprise_id=enterprise)


async def raise_alert(
    store: AlertStore,
    source_id: str,
    *,
    rule: str = "gas_high",
    category: AlertCategory = AlertCategory.ALARM,
    severity: Severity = Severity.CRITICAL,
    kind: SourceKind = SourceKind.GAS_CHANNEL,
    ts_ms: int = NOW_MS - MINUTE,
    district: str | None = None,
    enterprise_id: str | None = None,
) -> Alert:
    """A new active_unacked alert stored through the real lifecycle and store."""
    alert, entry = lifecycle.raise_alert(
        source_id=source_id,
        source_kind=kind,
        rule=rule,
        severity=severity,
        category=category,
        message=f"{rule} on {source_id}",
        value=60.0,
        threshold=50.0,
        ts_ms=ts_ms,
        district=district,
        enterprise_id=enterprise_id,
    )
    return await store.save(alert, entry)


async def clear_alert(store: AlertStore, alert: Alert, ts_ms: int = NOW_MS) -> Alert:
    cleared, entry = lifecycle.clear(alert, ts_ms)
    return await store.save(cleared, entry)


async def issue_token(
    store: AuthStore,
    username: str,
    role: Role,
    *,
    crew_id: str | None = None,
    utility_id: str | None = None,
) -> str:
    """An account of ``role`` (no password: fast) and a new API key of it."""
    if await store.get_user(username) is None:
        await store.put_user(User(username, role, NOW_MS, crew_id=crew_id, utility_id=utility_id))
    token = new_token(API_KEY_PREFIX)
    await store.add_credential(
        Credential(token_hash(token), CredentialKind.API_KEY, username, "test", NOW_MS)
    )
    return token
