"""``/api/v1/kpis``: alarm-system KPIs of the last ``hours`` (ISA-18.2 / EEMUA 191).

Reads the audit trail (newest first, up to ``AUDIT_CAP`` entries), the alerts those
entries belong to (newest-updated first, down to the window start) and the open alerts,
then computes with the pure :func:`api.kpis.shift_kpis`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Final

from fastapi import APIRouter, Query

from api.deps import AlertStoreDep, ClockDep
from api.kpis import HOUR_MS, shift_kpis
from api.routes import API_PREFIX
from api.schemas.kpis import KpisOut
from lifeline.core.alert import Alert, AlertQuery, AuditEntry
from lifeline.core.ports import AlertStore

__all__ = ["AUDIT_CAP", "router"]

router = APIRouter(prefix=f"{API_PREFIX}/kpis", tags=["alerts"])

AUDIT_CAP: Final = 100_000
_PAGE: Final = 1000


async def _alerts_since(store: AlertStore, start_ms: int) -> dict[int, Alert]:
    """Alerts updated at or after ``start_ms`` (any audit entry of the window is newer
    than its alert's previous update, so its alert is among them)."""
    found: dict[int, Alert] = {}
    offset = 0
    while True:
        page, _ = await store.query(AlertQuery(limit=_PAGE, offset=offset))
        found.update((a.id, a) for a in page)
        if len(page) < _PAGE or page[-1].updated_at_ms < start_ms:
            return found
        offset += _PAGE


async def _missing(store: AlertStore, entries: list[AuditEntry], known: dict[int, Alert]) -> None:
    ids = {e.alert_id for e in entries} - known.keys()
    for alert in await asyncio.gather(*(store.get(i) for i in ids)):
        if alert is not None:
            known[alert.id] = alert


@router.get("", summary="Alarm-system KPIs of the shift: rate, floods, chattering, stale, top 10")
async def get_kpis(
    alerts: AlertStoreDep,
    clock: ClockDep,
    hours: Annotated[float, Query(gt=0, le=24 * 7, description="window ending now")] = 8.0,
) -> KpisOut:
    now = clock.now_ms()
    start = now - int(hours * HOUR_MS)
    audit, open_alerts, known = await asyncio.gather(
        alerts.audit(None, AUDIT_CAP), alerts.open_alerts(), _alerts_since(alerts, start)
    )
    window = [e for e in audit if start <= e.at_ms <= now]
    await _missing(alerts, window, known)
    return KpisOut.of(shift_kpis(window, known, open_alerts, now, hours))
