"""SqliteDeadLetterStore: rejected messages kept for inspection (``lifeline.db``).

Each dead letter keeps its raw payload as a BLOB. The table is bounded: after every
``add`` only the newest ``max_rows`` letters (by insertion order, default 100,000)
remain; older ones are deleted in the same transaction. Rejects are evidence for a
utility's integration problems, not records of the city, so losing the oldest is fine.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from lifeline.core.ports import DeadLetter, DeadLetterQuery
from store.sqlite_db import Migration, SqliteWorker, Synchronous, transaction

__all__ = ["DEFAULT_MAX_ROWS", "SqliteDeadLetterStore"]

DEFAULT_MAX_ROWS: Final = 100_000

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at_ms INTEGER NOT NULL,
            topic TEXT NOT NULL,
            utility_id TEXT,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            record_index INTEGER,
            payload BLOB NOT NULL)""",
        "CREATE INDEX dead_letters_by_reason ON dead_letters(reason, id)",
        "CREATE INDEX dead_letters_by_utility ON dead_letters(utility_id, id)",
    ),
)

_COLUMNS: Final = "received_at_ms, topic, utility_id, reason, detail, record_index, payload, id"


class SqliteDeadLetterStore:
    """:class:`lifeline.core.ports.DeadLetterStore` on SQLite, keeping the newest ``max_rows``."""

    def __init__(
        self, path: Path, max_rows: int = DEFAULT_MAX_ROWS, synchronous: Synchronous = "NORMAL"
    ) -> None:
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.max_rows = max_rows
        self._worker = SqliteWorker(path, "deadletters", _MIGRATIONS, synchronous)

    async def add(self, letters: Sequence[DeadLetter]) -> None:
        if letters:
            await self._worker.run(_add, letters, self.max_rows)

    async def query(self, query: DeadLetterQuery) -> tuple[list[DeadLetter], int]:
        """Matching letters, newest first, and the total before limit/offset."""
        return await self._worker.run(_query, query)

    async def counts_by_reason(self) -> dict[str, int]:
        return await self._worker.run(_counts_by_reason)

    async def close(self) -> None:
        await self._worker.close()


def _add(conn: sqlite3.Connection, letters: Sequence[DeadLetter], max_rows: int) -> None:
    rows = [
        (x.received_at_ms, x.topic, x.utility_id, x.reason, x.detail, x.index, x.payload)
        for x in letters
    ]
    with transaction(conn):
        conn.executemany(
            "INSERT INTO dead_letters(received_at_ms, topic, utility_id, reason, detail,"
            " record_index, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "DELETE FROM dead_letters WHERE id < ("
            " SELECT id FROM dead_letters ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (max_rows - 1,),
        )


def _query(conn: sqlite3.Connection, query: DeadLetterQuery) -> tuple[list[DeadLetter], int]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.reason is not None:
        clauses.append("reason = ?")
        params.append(query.reason)
    if query.utility_id is not None:
        clauses.append("utility_id = ?")
        params.append(query.utility_id)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    (total,) = conn.execute(f"SELECT count(*) FROM dead_letters{where}", params).fetchone()
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM dead_letters{where} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    letters = [
        DeadLetter(
            received_at_ms=received,
            topic=topic,
            utility_id=utility,
            reason=reason,
            detail=detail,
            index=index,
            payload=bytes(payload),
            id=id_,
        )
        for received, topic, utility, reason, detail, index, payload, id_ in rows
    ]
    return letters, int(total)


def _counts_by_reason(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT reason, count(*) FROM dead_letters GROUP BY reason ORDER BY reason")
    return {reason: int(n) for reason, n in rows}
