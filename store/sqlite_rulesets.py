"""SqliteRuleSetStore: rule documents saved from the administration page (``lifeline.db``).

``rule_sets`` keeps every saved version (append-only: triggers abort UPDATE and
DELETE), each the YAML of a whole rules file with the SHA-256 of the rules file it was
edited from; the newest is what the rule engine loads at its next start
(``lifeline.roles.rulesets``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

from lifeline.core.ports import StoredRules
from store.sqlite_db import Migration, SqliteWorker, Synchronous, transaction

__all__ = ["SqliteRuleSetStore"]

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """CREATE TABLE rule_sets (
            version INTEGER PRIMARY KEY AUTOINCREMENT,
            yaml TEXT NOT NULL,
            base_sha256 TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            saved_at_ms INTEGER NOT NULL,
            note TEXT)""",
        """CREATE TRIGGER rule_sets_no_update BEFORE UPDATE ON rule_sets
        BEGIN SELECT RAISE(ABORT, 'rule_sets is append-only'); END""",
        """CREATE TRIGGER rule_sets_no_delete BEFORE DELETE ON rule_sets
        BEGIN SELECT RAISE(ABORT, 'rule_sets is append-only'); END""",
    ),
)

_COLUMNS: Final = "version, yaml, base_sha256, saved_by, saved_at_ms, note"


class SqliteRuleSetStore:
    """:class:`lifeline.core.ports.RuleSetStore` on SQLite; tables are created on open."""

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "rule_sets", _MIGRATIONS, synchronous)

    async def latest(self) -> StoredRules | None:
        found = await self._worker.run(_select, 1)
        return found[0] if found else None

    async def save(
        self, yaml: str, base_sha256: str, saved_by: str, saved_at_ms: int, note: str | None
    ) -> StoredRules:
        return await self._worker.run(_save, yaml, base_sha256, saved_by, saved_at_ms, note)

    async def history(self, limit: int = 20) -> list[StoredRules]:
        return await self._worker.run(_select, limit)

    async def close(self) -> None:
        await self._worker.close()


def _select(conn: sqlite3.Connection, limit: int) -> list[StoredRules]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM rule_sets ORDER BY version DESC LIMIT ?", (limit,))
    return [StoredRules(*row) for row in rows]


def _save(
    conn: sqlite3.Connection,
    yaml: str,
    base_sha256: str,
    saved_by: str,
    saved_at_ms: int,
    note: str | None,
) -> StoredRules:
    with transaction(conn):
        (version,) = conn.execute(
            "INSERT INTO rule_sets(yaml, base_sha256, saved_by, saved_at_ms, note)"
            " VALUES (?, ?, ?, ?, ?) RETURNING version",
            (yaml, base_sha256, saved_by, saved_at_ms, note),
        ).fetchone()
    return StoredRules(int(version), yaml, base_sha256, saved_by, saved_at_ms, note)
