"""The store queries reports read: alerts raised and audit entries in a time range, and
when each source first sent (its first presence slot)."""

from __future__ import annotations

from pathlib import Path

from lifeline.core.records import PRESENCE_SLOT_MS
from store import SqliteAlertStore, SqliteTelemetryStore
from tests.api.factories import raise_alert
from tests.store.factories import T0, gas, station


async def test_first_seen_is_the_first_presence_slot_of_sources_and_enterprises(
    tmp_path: Path,
) -> None:
    store = SqliteTelemetryStore(tmp_path / "telemetry.db")
    try:
        await store.write([gas("GAS-0001", T0 + 7_000, 1.0), gas("GAS-0001", T0 - 1, 1.0)])
        await store.write([station("HEAT-001-S01", T0 + PRESENCE_SLOT_MS)])
        seen = await store.first_seen(["GAS-0001", "HEAT-001", "HEAT-001-S01", "GAS-0002"])
        assert seen == {
            "GAS-0001": T0 - PRESENCE_SLOT_MS,
            "HEAT-001": T0 + PRESENCE_SLOT_MS,
            "HEAT-001-S01": T0 + PRESENCE_SLOT_MS,
        }
    finally:
        await store.close()


async def test_alerts_and_audit_entries_of_a_range_oldest_first(tmp_path: Path) -> None:
    store = SqliteAlertStore(tmp_path / "lifeline.db")
    try:
        before = await raise_alert(store, "GAS-0001", ts_ms=T0 - 1)
        inside = await raise_alert(store, "GAS-0002", ts_ms=T0 + 10)
        first = await raise_alert(store, "GAS-0003", ts_ms=T0)
        await raise_alert(store, "GAS-0004", ts_ms=T0 + 100)  # end excluded
        raised = await store.raised_between(T0, T0 + 100)
        assert [a.id for a in raised] == [first.id, inside.id]
        entries = await store.audit_between(T0, T0 + 100)
        assert [e.alert_id for e in entries] == [first.id, inside.id]
        assert before.id not in {e.alert_id for e in entries}
    finally:
        await store.close()
