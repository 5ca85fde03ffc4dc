"""SqliteAlertStore: durable alerts and their append-only audit trail (``lifeline.db``).

- ``alerts`` one row per alert, a column per field of :class:`lifeline.core.alert.Alert`;
  a partial unique index allows one open (state != 'closed') alert per
  ``(source_id, rule)`` — a second one raises :class:`AlertConflictError`.
- ``alert_audit`` one row per transition. Triggers abort any UPDATE or DELETE, so the
  trail can only grow.
- Migration 2 adds ``cause`` (the resolution cause of a close) to both tables; databases
  created before it are upgraded on open.

``save`` writes the alert and appends its audit entry in one transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

import msgspec

from lifeline.core.alert import Alert, AlertQuery, AlertState, AuditEntry
from lifeline.core.errors import NotFoundError
from store.errors import AlertConflictError
from store.sqlite_db import Migration, SqliteWorker, Synchronous, placeholders, transaction

__all__ = ["SqliteAlertStore"]

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_id TEXT NOT NULL,
            source_kind TEXT NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            state TEXT NOT NULL,
            message TEXT NOT NULL,
            raised_at_ms INTEGER NOT NULL,
            updated_at_ms INTEGER NOT NULL,
            condition_active INTEGER NOT NULL,
            category TEXT NOT NULL,
            value REAL,
            threshold REAL,
            count INTEGER NOT NULL,
            acked_by TEXT,
            acked_at_ms INTEGER,
            note TEXT,
            shelved_until_ms INTEGER,
            cleared_at_ms INTEGER,
            closed_at_ms INTEGER,
            assigned_to TEXT,
            district TEXT,
            enterprise_id TEXT,
            utility_id TEXT)""",
        "CREATE UNIQUE INDEX alerts_one_open ON alerts(source_id, rule) WHERE state != 'closed'",
        "CREATE INDEX alerts_newest ON alerts(updated_at_ms DESC, id DESC)",
        "CREATE INDEX alerts_by_state ON alerts(state)",
        "CREATE INDEX alerts_by_source ON alerts(source_id, rule)",
        """CREATE TABLE alert_audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id INTEGER NOT NULL REFERENCES alerts(id),
            at_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT NOT NULL,
            note TEXT)""",
        "CREATE INDEX alert_audit_by_alert ON alert_audit(alert_id, id)",
        """CREATE TRIGGER alert_audit_no_update BEFORE UPDATE ON alert_audit
        BEGIN SELECT RAISE(ABORT, 'alert_audit is append-only'); END""",
        """CREATE TRIGGER alert_audit_no_delete BEFORE DELETE ON alert_audit
        BEGIN SELECT RAISE(ABORT, 'alert_audit is append-only'); END""",
    ),
    (  # 2: resolution cause of a close (on the alert and its audit entry); crew look-ups
        "ALTER TABLE alerts ADD COLUMN cause TEXT",
        "ALTER TABLE alert_audit ADD COLUMN cause TEXT",
        "CREATE INDEX alerts_by_assignee ON alerts(assigned_to) WHERE assigned_to IS NOT NULL",
    ),
)

_FIELDS: Final = Alert.__struct_fields__  # column order of SELECT *
_COLUMNS: Final = tuple(f for f in _FIELDS if f != "id")
_SELECT: Final = f"SELECT {', '.join(_FIELDS)} FROM alerts"
_INSERT: Final = (
    f"INSERT INTO alerts({', '.join(_COLUMNS)})"
    f" VALUES ({', '.join(':' + c for c in _COLUMNS)}) RETURNING id"
)
_UPDATE: Final = f"UPDATE alerts SET {', '.join(f'{c} = :{c}' for c in _COLUMNS)} WHERE id = :id"
_AUDIT_FIELDS: Final = AuditEntry.__struct_fields__
_AUDIT_COLUMNS: Final = tuple(f for f in _AUDIT_FIELDS if f != "id")
_INSERT_AUDIT: Final = (
    f"INSERT INTO alert_audit({', '.join(_AUDIT_COLUMNS)})"
    f" VALUES ({', '.join(':' + c for c in _AUDIT_COLUMNS)})"
)
_NOT_CLOSED: Final = f"state != '{AlertState.CLOSED.value}'"


class SqliteAlertStore:
    """:class:`lifeline.core.ports.AlertStore` on SQLite; tables are created on open."""

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "alerts", _MIGRATIONS, synchronous)

    async def save(self, alert: Alert, entry: AuditEntry | None) -> Alert:
        """Insert or update ``alert`` and append ``entry``; raises
        :class:`AlertConflictError` (another open alert) or ``NotFoundError`` (bad id)."""
        return await self._worker.run(_save, alert, entry)

    async def get(self, alert_id: int) -> Alert | None:
        found = await self._worker.run(_select, " WHERE id = ?", [alert_id])
        return found[0] if found else None

    async def find_open(self, source_id: str, rule: str) -> Alert | None:
        where = f" WHERE source_id = ? AND rule = ? AND {_NOT_CLOSED}"
        found = await self._worker.run(_select, where, [source_id, rule])
        return found[0] if found else None

    async def open_alerts(self) -> list[Alert]:
        return await self._worker.run(_select, f" WHERE {_NOT_CLOSED} ORDER BY id", [])

    async def query(self, query: AlertQuery) -> tuple[list[Alert], int]:
        return await self._worker.run(_query, query)

    async def audit(self, alert_id: int | None = None, limit: int = 1000) -> list[AuditEntry]:
        """Audit entries (of one alert, or of all), newest first."""
        return await self._worker.run(_audit, alert_id, limit)

    async def raised_between(self, start_ms: int, end_ms: int) -> list[Alert]:
        """Alerts raised in ``[start_ms, end_ms)``, oldest first (a scan: reports only)."""
        where = " WHERE raised_at_ms >= ? AND raised_at_ms < ? ORDER BY raised_at_ms, id"
        return await self._worker.run(_select, where, [start_ms, end_ms])

    async def audit_between(self, start_ms: int, end_ms: int) -> list[AuditEntry]:
        """Audit entries at ``[start_ms, end_ms)``, oldest first (a scan: reports only)."""
        return await self._worker.run(_audit_between, start_ms, end_ms)

    async def close(self) -> None:
        await self._worker.close()


def _save(conn: sqlite3.Connection, alert: Alert, entry: AuditEntry | None) -> Alert:
    row = msgspec.to_builtins(alert)
    try:
        with transaction(conn):
            if alert.id == 0:
                del row["id"]
                (new_id,) = conn.execute(_INSERT, row).fetchone()
                alert = msgspec.structs.replace(alert, id=int(new_id))
            elif conn.execute(_UPDATE, row).rowcount != 1:
                raise NotFoundError(f"alert {alert.id} does not exist")
            if entry is not None:
                audit = msgspec.to_builtins(msgspec.structs.replace(entry, alert_id=alert.id))
                del audit["id"]
                conn.execute(_INSERT_AUDIT, audit)
    except sqlite3.IntegrityError as exc:
        if "alerts.source_id" in str(exc):
            raise AlertConflictError(
                f"an open alert for {alert.source_id}/{alert.rule} already exists"
            ) from exc
        raise
    return alert


def _to_alert(row: tuple[Any, ...]) -> Alert:
    return msgspec.convert(dict(zip(_FIELDS, row, strict=True)), Alert, strict=False)


def _select(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[Alert]:
    return [_to_alert(row) for row in conn.execute(_SELECT + where, params)]


def _where(query: AlertQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (("state", query.states), ("severity", query.severities)):
        if values is not None:
            clauses.append(f"{column} IN ({placeholders(len(values))})" if values else "0")
            params.extend(sorted(v.value for v in values))
    for column, value in (
        ("source_kind", query.source_kind),
        ("source_id", query.source_id),
        ("rule", query.rule),
        ("district", query.district),
        ("enterprise_id", query.enterprise_id),
        ("utility_id", query.utility_id),
        ("assigned_to", query.assigned_to),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _query(conn: sqlite3.Connection, query: AlertQuery) -> tuple[list[Alert], int]:
    where, params = _where(query)
    (total,) = conn.execute(f"SELECT count(*) FROM alerts{where}", params).fetchone()
    page = _select(
        conn,
        f"{where} ORDER BY updated_at_ms DESC, id DESC LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    return page, int(total)


def _audit_between(conn: sqlite3.Connection, start: int, end: int) -> list[AuditEntry]:
    rows = conn.execute(
        f"SELECT {', '.join(_AUDIT_FIELDS)} FROM alert_audit"
        " WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id",
        (start, end),
    )
    return [
        msgspec.convert(dict(zip(_AUDIT_FIELDS, row, strict=True)), AuditEntry, strict=False)
        for row in rows
    ]


def _audit(conn: sqlite3.Connection, alert_id: int | None, limit: int) -> list[AuditEntry]:
    columns = ", ".join(_AUDIT_FIELDS)
    if alert_id is None:
        rows = conn.execute(f"SELECT {columns} FROM alert_audit ORDER BY id DESC LIMIT ?", (limit,))
    else:
        rows = conn.execute(
            f"SELECT {columns} FROM alert_audit WHERE alert_id = ? ORDER BY id DESC LIMIT ?",
            (alert_id, limit),
        )
    return [
        msgspec.convert(dict(zip(_AUDIT_FIELDS, row, strict=True)), AuditEntry, strict=False)
        for row in rows
    ]
