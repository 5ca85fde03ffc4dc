"""The store queries reports read: alerts raised and audit entries in a time range (when
each source first sent is part of the telemetry contract, test_telemetry_contract.py)."""

from __future__ import annotations

from pathlib import Path

from store import SqliteAlertStore
from tests.api.factories import raise_alert
from tests.store.factories import T0


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
