"""A simulated month (December 2025, Qingdao time) written straight into the stores, and
the totals a monthly report must show for it, computed here by plain arithmetic (never
by the report code).

- Telemetry: HEAT-001's stations every 5 min all month but a silent 10 December;
  HEAT-002's from 16 December on; channel GAS-0001 all month but 12 silent hours.
- Alerts: 40 gas leaks on GAS-0401..GAS-0440, one every 18 h; three in four acked after
  1-7 min; all closed after 1-5 h; two raised in a maintenance window (suppressed).
  Everything ends closed, so a live stack's open alerts are untouched.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Final

from alerts import lifecycle
from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import GasReading, StationTelemetry
from lifeline.core.ports import AlertStore, TelemetryStore
from lifeline.core.records import Record
from lifeline.core.topics import RecordKind

__all__ = ["MONTH_DATE", "MONTH_START_MS", "Expected", "seed_month"]

CST: Final = dt.timezone(dt.timedelta(hours=8))
MONTH_DATE: Final = dt.date(2025, 12, 15)
MONTH_START_MS: Final = int(dt.datetime(2025, 12, 1, tzinfo=CST).timestamp() * 1000)
DAY_MS: Final = 86_400_000
SLOT_MS: Final = 300_000
SLOTS_PER_DAY: Final = DAY_MS // SLOT_MS
DAYS: Final = 31
ALERTS: Final = 40


@dataclass(frozen=True)
class Expected:
    alarms: int
    suppressed: int
    acked: int
    closed: int
    mean_ack_min: float
    mean_resolve_min: float
    enterprise_rates: dict[str, float]  # percent, 2 decimals
    enterprise_overall_pct: float
    channel_rate_pct: float


def _station(station: str, ts: int) -> Record:
    body = StationTelemetry(ts=ts, secondary_supply_temp_c=48.0, indoor_temp_c=20.5)
    return Record(RecordKind.STATION_TELEMETRY, station, ts, body, enterprise_id=station[:8])


def _gas(channel: str, ts: int) -> Record:
    return Record(RecordKind.GAS_READING, channel, ts, GasReading(ts=ts, lel_pct=1.0))


async def _telemetry(store: TelemetryStore) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    records: list[Record] = []
    silent_day = (MONTH_START_MS + 9 * DAY_MS, MONTH_START_MS + 10 * DAY_MS)
    channel_gap = (MONTH_START_MS + 20 * DAY_MS, MONTH_START_MS + 20 * DAY_MS + DAY_MS // 2)
    for slot in range(DAYS * SLOTS_PER_DAY):
        ts = MONTH_START_MS + slot * SLOT_MS + 17_000
        if not silent_day[0] <= ts < silent_day[1]:
            records.append(_station("HEAT-001-S01", ts))
        if ts >= MONTH_START_MS + 15 * DAY_MS:
            records.append(_station("HEAT-002-S01", ts))
        if not channel_gap[0] <= ts < channel_gap[1]:
            records.append(_gas("GAS-0001", ts))
    for at in range(0, len(records), 5000):
        await store.write(records[at : at + 5000])
    month = DAYS * SLOTS_PER_DAY
    enterprises = {  # (present, expected) slots
        "HEAT-001": (month - SLOTS_PER_DAY, month),
        "HEAT-002": (16 * SLOTS_PER_DAY, 16 * SLOTS_PER_DAY),
    }
    return enterprises, (month - SLOTS_PER_DAY // 2, month)


async def _alerts(store: AlertStore) -> tuple[int, list[int], list[int]]:
    ack_delays: list[int] = []
    resolve_delays: list[int] = []
    suppressed = 0
    for i in range(ALERTS):
        raised = MONTH_START_MS + i * 18 * 3_600_000 + 7 * 60_000
        why = "maintenance window #99: valve" if i in (5, 6) else None
        suppressed += why is not None
        alert, entry = lifecycle.raise_alert(
            source_id=f"GAS-{401 + i:04d}", source_kind=SourceKind.GAS_CHANNEL,
            rule="gas_leak", severity=Severity.CRITICAL if i % 3 == 0 else Severity.MAJOR,
            category=AlertCategory.ALARM, message="seeded", value=30.0, threshold=20.0,
            ts_ms=raised, district="市北", suppressed=why,
        )  # fmt: skip
        alert = await store.save(alert, entry)
        if why is None and i % 4 != 3:
            delay = ((i % 7) + 1) * 60_000
            alert = await store.save(*lifecycle.ack(alert, "op1", raised + delay))
            ack_delays.append(delay)
        closing = raised + ((i % 5) + 1) * 3_600_000
        alert = await store.save(*lifecycle.clear(alert, closing - 60_000))
        if alert.state.value != "closed":
            alert = await store.save(*lifecycle.close(alert, "op1", closing))
        assert alert.closed_at_ms is not None
        resolve_delays.append(alert.closed_at_ms - raised)
    return suppressed, ack_delays, resolve_delays


async def seed_month(telemetry: TelemetryStore, alerts: AlertStore) -> Expected:
    enterprises, (channel_present, channel_expected) = await _telemetry(telemetry)
    suppressed, acks, resolves = await _alerts(alerts)
    present = sum(p for p, _ in enterprises.values())
    expected = sum(e for _, e in enterprises.values())
    return Expected(
        alarms=ALERTS,
        suppressed=suppressed,
        acked=len(acks),
        closed=ALERTS,
        mean_ack_min=round(statistics.fmean(acks) / 60_000, 1),
        mean_resolve_min=round(statistics.fmean(resolves) / 60_000, 1),
        enterprise_rates={k: round(p / e * 100, 2) for k, (p, e) in enterprises.items()},
        enterprise_overall_pct=round(present / expected * 100, 2),
        channel_rate_pct=round(channel_present / channel_expected * 100, 2),
    )
