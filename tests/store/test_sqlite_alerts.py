"""SqliteAlertStore against real SQLite files."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from lifeline.core.alert import (
    Alert,
    AlertCategory,
    AlertQuery,
    AlertState,
    AuditEntry,
    Severity,
)
from lifeline.core.errors import NotFoundError
from lifeline.core.ids import SourceKind
from store import AlertConflictError, SqliteAlertStore
from tests.store.factories import T0


def _alert(
    source_id: str = "GAS-0001",
    rule: str = "lel_high",
    *,
    state: AlertState = AlertState.ACTIVE_UNACKED,
    severity: Severity = Severity.CRITICAL,
    kind: SourceKind = SourceKind.GAS_CHANNEL,
    updated: int = T0,
    district: str | None = "市南",
    enterprise_id: str | None = None,
) -> Alert:
    return Alert(
        source_id=source_id,
        source_kind=kind,
        rule=rule,
        severity=severity,
        state=state,
        message=f"{rule} on {source_id}",
        raised_at_ms=T0,
        updated_at_ms=updated,
        district=district,
        enterprise_id=enterprise_id,
    )


def _entry(to: AlertState = AlertState.ACTIVE_UNACKED, frm: AlertState | None = None) -> AuditEntry:
    return AuditEntry(
        alert_id=0, at_ms=T0, actor="engine", action="raise", from_state=frm, to_state=to
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteAlertStore]:
    s = SqliteAlertStore(tmp_path / "lifeline.db")
    yield s
    await s.close()


async def test_save_assigns_ids_and_round_trips_every_field(store: SqliteAlertStore) -> None:
    full = Alert(
        source_id="HEAT-003-S07",
        source_kind=SourceKind.STATION,
        rule="pipe_burst",
        severity=Severity.MAJOR,
        state=AlertState.ACTIVE_ACKED,
        message="pressure drop 0.4 MPa with make-up water +3 t",
        raised_at_ms=T0,
        updated_at_ms=T0 + 5,
        condition_active=False,
        category=AlertCategory.FAULT,
        value=0.41,
        threshold=0.25,
        count=3,
        acked_by="王工",
        acked_at_ms=T0 + 3,
        note="crew sent",
        shelved_until_ms=T0 + 9,
        cleared_at_ms=T0 + 4,
        closed_at_ms=None,
        assigned_to="crew-7",
        district="黄岛",
        enterprise_id="HEAT-003",
        utility_id="heat-003",
    )
    first = await store.save(_alert(), _entry())
    saved = await store.save(full, _entry())

    assert first.id == 1
    assert saved == msgspec.structs.replace(full, id=2)
    assert await store.get(2) == saved
    assert await store.get(99) is None


async def test_save_fills_the_audit_entry_alert_id(store: SqliteAlertStore) -> None:
    alert = await store.save(_alert(), _entry())
    acked = msgspec.structs.replace(alert, state=AlertState.ACTIVE_ACKED, acked_by="li")
    await store.save(acked, _entry(AlertState.ACTIVE_ACKED, AlertState.ACTIVE_UNACKED))

    trail = await store.audit(alert.id)

    assert [(e.alert_id, e.from_state, e.to_state) for e in trail] == [
        (alert.id, AlertState.ACTIVE_UNACKED, AlertState.ACTIVE_ACKED),
        (alert.id, None, AlertState.ACTIVE_UNACKED),
    ]
    assert trail[0].id > trail[1].id
    assert (await store.get(alert.id)) == acked


async def test_second_open_alert_for_same_source_and_rule_is_refused(
    store: SqliteAlertStore,
) -> None:
    first = await store.save(_alert(), _entry())

    with pytest.raises(AlertConflictError):
        await store.save(_alert(), _entry())

    assert len(await store.audit()) == 1  # the failed save appended nothing
    other_rule = await store.save(_alert(rule="lel_low"), _entry())
    assert other_rule.id != first.id
    closed = msgspec.structs.replace(first, state=AlertState.CLOSED)
    await store.save(closed, _entry(AlertState.CLOSED, AlertState.ACTIVE_UNACKED))
    again = await store.save(_alert(), _entry())  # allowed once the first is closed
    assert again.id not in (first.id, other_rule.id)


async def test_updating_an_unknown_alert_raises_not_found(store: SqliteAlertStore) -> None:
    ghost = msgspec.structs.replace(_alert(), id=42)

    with pytest.raises(NotFoundError):
        await store.save(ghost, _entry())

    assert await store.audit() == []


async def test_find_open_and_open_alerts_ignore_closed(store: SqliteAlertStore) -> None:
    a = await store.save(_alert("GAS-0001"), _entry())
    b = await store.save(_alert("GAS-0002"), _entry())
    await store.save(msgspec.structs.replace(a, state=AlertState.CLOSED), _entry(AlertState.CLOSED))

    assert await store.find_open("GAS-0001", "lel_high") is None
    assert await store.find_open("GAS-0002", "lel_high") == b
    assert [x.id for x in await store.open_alerts()] == [b.id]


async def test_query_filters_and_totals(store: SqliteAlertStore) -> None:
    await store.save(_alert("GAS-0001", updated=T0 + 1), _entry())
    await store.save(
        _alert("GAS-0002", severity=Severity.MINOR, district="黄岛", updated=T0 + 2), _entry()
    )
    await store.save(
        _alert(
            "HEAT-001-S01",
            "under_heating",
            kind=SourceKind.STATION,
            severity=Severity.MAJOR,
            district="城阳",
            enterprise_id="HEAT-001",
            updated=T0 + 3,
        ),
        _entry(),
    )
    await store.save(
        _alert(
            "HEAT-001",
            "offline",
            kind=SourceKind.ENTERPRISE,
            state=AlertState.CLOSED,
            severity=Severity.WARNING,
            district="城阳",
            enterprise_id="HEAT-001",
            updated=T0 + 4,
        ),
        _entry(),
    )

    async def ids(q: AlertQuery) -> tuple[list[str], int]:
        found, total = await store.query(q)
        return [a.source_id for a in found], total

    assert await ids(AlertQuery()) == (["HEAT-001", "HEAT-001-S01", "GAS-0002", "GAS-0001"], 4)
    assert await ids(AlertQuery(states=frozenset({AlertState.CLOSED}))) == (["HEAT-001"], 1)
    assert await ids(AlertQuery(states=frozenset())) == ([], 0)
    assert await ids(AlertQuery(severities=frozenset({Severity.CRITICAL, Severity.MINOR}))) == (
        ["GAS-0002", "GAS-0001"],
        2,
    )
    assert await ids(AlertQuery(district="城阳")) == (["HEAT-001", "HEAT-001-S01"], 2)
    assert await ids(AlertQuery(enterprise_id="HEAT-001", source_kind=SourceKind.STATION)) == (
        ["HEAT-001-S01"],
        1,
    )
    assert await ids(AlertQuery(source_kind=SourceKind.GAS_CHANNEL, limit=1)) == (["GAS-0002"], 2)
    assert await ids(AlertQuery(source_kind=SourceKind.GAS_CHANNEL, limit=1, offset=1)) == (
        ["GAS-0001"],
        2,
    )
    assert await ids(AlertQuery(rule="under_heating", source_id="HEAT-001-S01")) == (
        ["HEAT-001-S01"],
        1,
    )


async def test_query_breaks_ties_on_updated_time_by_newest_id(store: SqliteAlertStore) -> None:
    for n in range(1, 4):
        await store.save(_alert(f"GAS-000{n}", updated=T0), _entry())

    found, _ = await store.query(AlertQuery())

    assert [a.id for a in found] == [3, 2, 1]


async def test_audit_trail_is_append_only(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    store = SqliteAlertStore(path)
    await store.save(_alert(), _entry())
    await store.close()

    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE alert_audit SET actor = 'mallory'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM alert_audit")
        conn.rollback()
        assert conn.execute("SELECT actor FROM alert_audit").fetchall() == [("engine",)]
    finally:
        conn.close()


async def test_alerts_and_audit_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    first = SqliteAlertStore(path)
    saved = await first.save(_alert(), _entry())
    await first.close()

    second = SqliteAlertStore(path)
    try:
        assert await second.get(saved.id) == saved
        assert await second.find_open("GAS-0001", "lel_high") == saved
        assert len(await second.audit(saved.id)) == 1
        with pytest.raises(AlertConflictError):
            await second.save(_alert(), _entry())
    finally:
        await second.close()
