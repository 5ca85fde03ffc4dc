"""SqliteMaintenanceStore: maintenance windows (``lifeline.db``).

- ``maintenance_windows`` one row per window (a column per field of
  :class:`lifeline.core.maintenance.MaintenanceWindow`); windows are cancelled, never
  deleted, so the audit log's references keep meaning something.
- ``maintenance_version`` one row counting every change, so processes that keep the
  schedule in memory notice an edit by polling :meth:`version` (as the registry does).
- ``maintenance_progress`` which worker (rule engine) has carried out which phase
  (``started``: open alerts taken out of service; ``ended``: returned) of which window,
  so a restart neither repeats nor forgets one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

import msgspec

from lifeline.core.errors import NotFoundError
from lifeline.core.maintenance import MaintenanceQuery, MaintenanceWindow
from store.sqlite_db import Migration, SqliteWorker, Synchronous, transaction

__all__ = ["SqliteMaintenanceStore"]

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """CREATE TABLE maintenance_windows (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            target_id TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            reason TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            updated_by TEXT,
            updated_at_ms INTEGER,
            cancelled_by TEXT,
            cancelled_at_ms INTEGER,
            CHECK (start_ms < end_ms))""",
        "CREATE INDEX maintenance_by_end ON maintenance_windows(end_ms)",
        "CREATE INDEX maintenance_by_target ON maintenance_windows(target_id)",
        """CREATE TABLE maintenance_version (
            id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL)""",
        "INSERT INTO maintenance_version(id, version) VALUES (0, 0)",
        """CREATE TABLE maintenance_progress (
            window_id INTEGER NOT NULL REFERENCES maintenance_windows(id),
            worker TEXT NOT NULL,
            phase TEXT NOT NULL,
            at_ms INTEGER NOT NULL,
            PRIMARY KEY (window_id, worker, phase)) WITHOUT ROWID""",
    ),
)

_FIELDS: Final = MaintenanceWindow.__struct_fields__
_COLUMNS: Final = tuple(f for f in _FIELDS if f != "id")
_SELECT: Final = f"SELECT {', '.join(_FIELDS)} FROM maintenance_windows"


class SqliteMaintenanceStore:
    """Maintenance windows on SQLite; tables are created on open."""

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "maintenance", _MIGRATIONS, synchronous)

    async def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        """Insert ``window`` (its ``id`` is assigned) and count the version up."""
        return await self._worker.run(_add, window)

    async def update(self, window: MaintenanceWindow) -> None:
        """Replace the stored window ``window.id`` (NotFoundError if unknown)."""
        await self._worker.run(_update, window)

    async def get(self, window_id: int) -> MaintenanceWindow | None:
        return await self._worker.run(_get, window_id)

    async def query(self, query: MaintenanceQuery) -> tuple[list[MaintenanceWindow], int]:
        """Matching windows by start time (then id), and the total before paging."""
        return await self._worker.run(_query, query)

    async def version(self) -> int:
        """Counts up with every change (0 = none yet): cheap to poll."""
        return await self._worker.run(_version)

    async def progress(self, worker: str) -> set[tuple[int, str]]:
        """``(window_id, phase)`` pairs ``worker`` has carried out."""
        return await self._worker.run(_progress, worker)

    async def mark(self, window_id: int, worker: str, phase: str, at_ms: int) -> None:
        """Record that ``worker`` carried out ``phase`` of a window (idempotent)."""
        await self._worker.run(_mark, window_id, worker, phase, at_ms)

    async def close(self) -> None:
        await self._worker.close()


def _row(window: MaintenanceWindow) -> dict[str, Any]:
    return msgspec.structs.asdict(window)


def _bump(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE maintenance_version SET version = version + 1")


def _add(conn: sqlite3.Connection, window: MaintenanceWindow) -> MaintenanceWindow:
    with transaction(conn):
        (new_id,) = conn.execute(
            f"INSERT INTO maintenance_windows({', '.join(_COLUMNS)})"
            f" VALUES ({', '.join(':' + c for c in _COLUMNS)}) RETURNING id",
            _row(window),
        ).fetchone()
        _bump(conn)
    return msgspec.structs.replace(window, id=int(new_id))


def _update(conn: sqlite3.Connection, window: MaintenanceWindow) -> None:
    with transaction(conn):
        changed = conn.execute(
            f"UPDATE maintenance_windows SET {', '.join(f'{c} = :{c}' for c in _COLUMNS)}"
            " WHERE id = :id",
            _row(window),
        ).rowcount
        if changed != 1:
            raise NotFoundError(f"maintenance window {window.id} not found")
        _bump(conn)


def _get(conn: sqlite3.Connection, window_id: int) -> MaintenanceWindow | None:
    row = conn.execute(f"{_SELECT} WHERE id = ?", (window_id,)).fetchone()
    return None if row is None else MaintenanceWindow(**dict(zip(_FIELDS, row, strict=True)))


def _query(
    conn: sqlite3.Connection, query: MaintenanceQuery
) -> tuple[list[MaintenanceWindow], int]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.target_id is not None:
        clauses.append("target_id = ?")
        params.append(query.target_id)
    if query.active_at is not None:
        clauses.append("start_ms <= ? AND end_ms > ?")
        params += [query.active_at, query.active_at]
    if query.ending_after is not None:
        clauses.append("end_ms > ?")
        params.append(query.ending_after)
    if not query.include_cancelled or query.active_at is not None:
        clauses.append("cancelled_at_ms IS NULL")
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    (total,) = conn.execute(f"SELECT count(*) FROM maintenance_windows{where}", params).fetchone()
    rows = conn.execute(
        f"{_SELECT}{where} ORDER BY start_ms, id LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    windows = [MaintenanceWindow(**dict(zip(_FIELDS, row, strict=True))) for row in rows]
    return windows, int(total)


def _version(conn: sqlite3.Connection) -> int:
    (version,) = conn.execute("SELECT version FROM maintenance_version").fetchone()
    return int(version)


def _progress(conn: sqlite3.Connection, worker: str) -> set[tuple[int, str]]:
    rows = conn.execute(
        "SELECT window_id, phase FROM maintenance_progress WHERE worker = ?", (worker,)
    )
    return {(int(window_id), str(phase)) for window_id, phase in rows}


def _mark(conn: sqlite3.Connection, window_id: int, worker: str, phase: str, at_ms: int) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT OR IGNORE INTO maintenance_progress(window_id, worker, phase, at_ms)"
            " VALUES (?, ?, ?, ?)",
            (window_id, worker, phase, at_ms),
        )
