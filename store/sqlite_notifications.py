"""The notification outbox on SQLite (``lifeline.db``): ``SqliteNotificationStore``.

Alert transitions are already durable rows of ``alert_audit``, written in the same
transaction as the alert. The outbox tails that log: :meth:`plan` reads the rows after
a consumer's cursor, asks the planner what each means, inserts the planned items
(``INSERT OR IGNORE`` on their idempotency key), cancels what a row ends, and moves the
cursor, all in one ``BEGIN IMMEDIATE`` transaction. A crash anywhere leaves either
nothing done or everything, and several processes planning on one file take turns.

Sending: :meth:`claim` marks due items ``sending`` for one instance (an item claimed
by a process that died is claimed again after ``stale_ms``, and :meth:`release` frees
an instance's own at its start); :meth:`done` / :meth:`retry` end a claim; every
delivery is an append-only ``notification_attempts`` row (triggers refuse updates and
deletes, as for the audit log).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

from lifeline.core.alert import Alert, AuditEntry
from lifeline.core.notifications import Attempt, History, Item, ItemState, Planned
from store.sqlite_db import SqliteWorker, Synchronous, placeholders, transaction

__all__ = ["Planner", "SqliteNotificationStore"]

# (audit row, the alert now, the outbox's history) -> (items to add, alerts to cancel)
Planner = Callable[[AuditEntry, Alert, History], tuple[Sequence[Planned], Sequence[int]]]

_MIGRATIONS: Final = (
    (
        "CREATE TABLE notify_cursor (name TEXT PRIMARY KEY, audit_id INTEGER NOT NULL)",
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            receiver TEXT NOT NULL,
            due_ms INTEGER NOT NULL,
            state TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            alert_id INTEGER,
            route TEXT NOT NULL DEFAULT '',
            step INTEGER NOT NULL DEFAULT 0,
            actor TEXT NOT NULL DEFAULT '',
            crew TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            done_ms INTEGER,
            result TEXT NOT NULL DEFAULT '',
            alert_ids TEXT NOT NULL DEFAULT '',
            claimed_by TEXT,
            claimed_ms INTEGER)""",
        "CREATE INDEX notifications_due ON notifications(state, due_ms)",
        "CREATE INDEX notifications_by_alert ON notifications(alert_id, kind)",
        "CREATE INDEX notifications_by_route ON notifications(route, kind, created_ms)",
        """CREATE TABLE notification_attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id INTEGER NOT NULL REFERENCES notifications(id),
            at_ms INTEGER NOT NULL,
            receiver TEXT NOT NULL,
            ok INTEGER NOT NULL,
            result TEXT NOT NULL,
            alert_id INTEGER,
            kind TEXT NOT NULL,
            retryable INTEGER NOT NULL)""",
        "CREATE INDEX notification_attempts_by_alert ON notification_attempts(alert_id, id)",
        """CREATE TRIGGER notification_attempts_no_update BEFORE UPDATE ON notification_attempts
        BEGIN SELECT RAISE(ABORT, 'notification_attempts is append-only'); END""",
        """CREATE TRIGGER notification_attempts_no_delete BEFORE DELETE ON notification_attempts
        BEGIN SELECT RAISE(ABORT, 'notification_attempts is append-only'); END""",
    ),
)

_ITEM_FIELDS: Final = tuple(f for f in Item.__struct_fields__ if f != "alert_ids")
_SELECT_ITEM: Final = f"SELECT {', '.join(_ITEM_FIELDS)}, alert_ids FROM notifications"
_ALERT_FIELDS: Final = Alert.__struct_fields__
_AUDIT_FIELDS: Final = AuditEntry.__struct_fields__
_TOLD_STATES: Final = ("pending", "sending", "sent", "grouped", "digested")


class _History:
    """``alerts.notify.plan.History`` on the planning transaction's connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def told(self, alert_id: int) -> list[str]:
        rows = self._conn.execute(
            # a roster's fan-out (key ``…>person``) counts as the roster itself
            "SELECT receiver, MIN(id) FROM notifications WHERE alert_id = ?"
            " AND instr(key, '>') = 0 AND ("
            f" (kind = 'firing' AND state IN ({placeholders(len(_TOLD_STATES))}))"
            " OR (kind IN ('repeat', 'escalation', 'digest') AND state = 'sent'))"
            " GROUP BY receiver ORDER BY MIN(id)",
            (alert_id, *_TOLD_STATES),
        )
        return [receiver for receiver, _ in rows]

    def firing_since(self, route: str, since_ms: int) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM notifications WHERE route = ? AND kind = 'firing'"
            " AND created_ms >= ? AND state != 'cancelled'",
            (route, since_ms),
        ).fetchone()
        return int(row[0])


def _item(row: Sequence[Any]) -> Item:
    values = dict(zip(_ITEM_FIELDS, row[:-1], strict=True))
    ids = str(row[-1] or "")
    values["alert_ids"] = tuple(int(i) for i in ids.split(",") if i)
    return msgspec.convert(values, Item, strict=False)


def _insert(conn: sqlite3.Connection, items: Sequence[Planned], now_ms: int) -> int:
    added = 0
    for item in items:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO notifications(key, kind, receiver, due_ms, state, created_ms,"
            " alert_id, route, step, actor, crew) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                item.key,
                item.kind,
                item.receiver,
                item.due_ms,
                item.state.value,
                now_ms,
                item.alert_id,
                item.route,
                item.step,
                item.actor,
                item.crew,
            ),
        )
        added += cursor.rowcount
    return added


def _cancel(conn: sqlite3.Connection, alert_ids: Sequence[int], now_ms: int) -> None:
    for alert_id in alert_ids:
        conn.execute(
            "UPDATE notifications SET state = 'cancelled', done_ms = ?, result = 'no longer due'"
            " WHERE alert_id = ? AND kind IN ('escalation', 'repeat') AND state = 'pending'",
            (now_ms, alert_id),
        )


def _plan(conn: sqlite3.Connection, name: str, planner: Planner, now_ms: int, limit: int) -> int:
    with transaction(conn):
        row = conn.execute("SELECT audit_id FROM notify_cursor WHERE name = ?", (name,)).fetchone()
        if row is None:  # a new consumer starts at the end: history is not paged again
            last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM alert_audit").fetchone()[0]
            conn.execute("INSERT INTO notify_cursor(name, audit_id) VALUES (?, ?)", (name, last))
            return 0
        cursor = int(row[0])
        audit_columns = ", ".join(f"u.{f}" for f in _AUDIT_FIELDS)
        alert_columns = ", ".join(f"a.{f}" for f in _ALERT_FIELDS)
        rows = conn.execute(
            f"SELECT {audit_columns}, {alert_columns} FROM alert_audit u"
            " JOIN alerts a ON a.id = u.alert_id WHERE u.id > ? ORDER BY u.id LIMIT ?",
            (cursor, limit),
        ).fetchall()
        history = _History(conn)
        width = len(_AUDIT_FIELDS)
        for values in rows:
            entry = msgspec.convert(
                dict(zip(_AUDIT_FIELDS, values[:width], strict=True)), AuditEntry, strict=False
            )
            alert = msgspec.convert(
                dict(zip(_ALERT_FIELDS, values[width:], strict=True)), Alert, strict=False
            )
            items, cancel = planner(entry, alert, history)
            _cancel(conn, cancel, now_ms)
            _insert(conn, items, now_ms)
            cursor = entry.id
        conn.execute("UPDATE notify_cursor SET audit_id = ? WHERE name = ?", (cursor, name))
        return len(rows)


def _claim(
    conn: sqlite3.Connection, instance: str, now_ms: int, limit: int, stale_ms: int
) -> list[Item]:
    with transaction(conn):
        rows = conn.execute(
            f"{_SELECT_ITEM} WHERE (state = 'pending' AND due_ms <= ?)"
            " OR (state = 'sending' AND claimed_ms < ?) ORDER BY due_ms, id LIMIT ?",
            (now_ms, now_ms - stale_ms, limit),
        ).fetchall()
        items = [_item(r) for r in rows]
        for item in items:
            conn.execute(
                "UPDATE notifications SET state = 'sending', claimed_by = ?, claimed_ms = ?"
                " WHERE id = ?",
                (instance, now_ms, item.id),
            )
        return items


class SqliteNotificationStore:
    """The outbox (see the module doc); opens ``lifeline.db`` beside the alert store."""

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "notifications", _MIGRATIONS, synchronous)

    async def plan(self, name: str, planner: Planner, now_ms: int, limit: int = 500) -> int:
        """Plan the audit rows after consumer ``name``'s cursor; the number planned."""
        return await self._worker.run(_plan, name, planner, now_ms, limit)

    async def claim(self, instance: str, now_ms: int, limit: int, stale_ms: int) -> list[Item]:
        return await self._worker.run(_claim, instance, now_ms, limit, stale_ms)

    async def release(self, instance: str) -> int:
        """Items this instance claimed before it stopped: due again now."""

        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return conn.execute(
                    "UPDATE notifications SET state = 'pending', claimed_by = NULL"
                    " WHERE state = 'sending' AND claimed_by = ?",
                    (instance,),
                ).rowcount

        return await self._worker.run(run)

    async def enqueue(self, items: Sequence[Planned], now_ms: int) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return _insert(conn, items, now_ms)

        return await self._worker.run(run)

    async def finish(
        self,
        item_id: int,
        state: ItemState,
        result: str,
        now_ms: int,
        alert_ids: Sequence[int] = (),
        attempts: Sequence[Attempt] = (),
    ) -> None:
        """End a claim: ``sent``, ``failed`` or ``cancelled``; records ``attempts``."""

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _record(conn, attempts)
                conn.execute(
                    "UPDATE notifications SET state = ?, result = ?, done_ms = ?,"
                    " attempts = attempts + ?, alert_ids = CASE WHEN ? = '' THEN alert_ids"
                    " ELSE ? END, claimed_by = NULL WHERE id = ?",
                    (
                        state.value,
                        result[:500],
                        now_ms,
                        len(attempts),
                        ids := ",".join(str(i) for i in alert_ids),
                        ids,
                        item_id,
                    ),
                )
                if alert_ids:  # a digest: its held notices went out in it, or not at all
                    held = "digested" if state is ItemState.SENT else state.value
                    conn.execute(
                        f"UPDATE notifications SET state = ?, done_ms = ?"
                        f" WHERE state = 'grouped' AND alert_id IN ({placeholders(len(alert_ids))})"
                        " AND receiver = (SELECT receiver FROM notifications WHERE id = ?)"
                        " AND route = (SELECT route FROM notifications WHERE id = ?)",
                        (held, now_ms, *alert_ids, item_id, item_id),
                    )

        await self._worker.run(run)

    async def retry(
        self, item_id: int, due_ms: int, result: str, attempts: Sequence[Attempt] = ()
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _record(conn, attempts)
                conn.execute(
                    "UPDATE notifications SET state = 'pending', due_ms = ?, result = ?,"
                    " attempts = attempts + ?, claimed_by = NULL WHERE id = ?",
                    (due_ms, result[:500], len(attempts), item_id),
                )

        await self._worker.run(run)

    async def grouped(self, route: str, receiver: str) -> list[Item]:
        """Firing notices held for the digest of ``route`` to ``receiver``."""
        rows = await self._worker.run(
            lambda conn: conn.execute(
                f"{_SELECT_ITEM} WHERE state = 'grouped' AND route = ? AND receiver = ?"
                " ORDER BY id",
                (route, receiver),
            ).fetchall()
        )
        return [_item(r) for r in rows]

    async def history(self, alert_id: int) -> tuple[list[Item], list[Attempt]]:
        """Items about the alert (a digest that carried it included) and attempts."""

        def run(conn: sqlite3.Connection) -> tuple[list[Item], list[Attempt]]:
            like = f"%,{alert_id},%"
            items = conn.execute(
                f"{_SELECT_ITEM} WHERE alert_id = ? OR (',' || alert_ids || ',') LIKE ?"
                " ORDER BY id",
                (alert_id, like),
            ).fetchall()
            ids = [row[0] for row in items]
            fields = Attempt.__struct_fields__
            attempts = (
                conn.execute(
                    f"SELECT {', '.join(fields)} FROM notification_attempts"
                    f" WHERE item_id IN ({placeholders(len(ids))}) ORDER BY id",
                    ids,
                ).fetchall()
                if ids
                else []
            )
            return [_item(r) for r in items], [
                msgspec.convert(dict(zip(fields, a, strict=True)), Attempt, strict=False)
                for a in attempts
            ]

        return await self._worker.run(run)

    async def next_due_ms(self) -> int | None:
        row = await self._worker.run(
            lambda conn: conn.execute(
                "SELECT MIN(due_ms) FROM notifications WHERE state = 'pending'"
            ).fetchone()
        )
        return None if row is None or row[0] is None else int(row[0])

    async def counts(self) -> dict[str, int]:
        rows = await self._worker.run(
            lambda conn: conn.execute(
                "SELECT state, COUNT(*) FROM notifications GROUP BY state"
            ).fetchall()
        )
        return {str(state): int(count) for state, count in rows}

    async def close(self) -> None:
        await self._worker.close()


def _record(conn: sqlite3.Connection, attempts: Sequence[Attempt]) -> None:
    for a in attempts:
        conn.execute(
            "INSERT INTO notification_attempts(item_id, at_ms, receiver, ok, result, alert_id,"
            " kind, retryable) VALUES (?,?,?,?,?,?,?,?)",
            (
                a.item_id,
                a.at_ms,
                a.receiver,
                int(a.ok),
                a.result[:500],
                a.alert_id,
                a.kind,
                int(a.retryable),
            ),
        )
