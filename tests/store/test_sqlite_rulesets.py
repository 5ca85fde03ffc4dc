"""SqliteRuleSetStore: every saved rules document is kept, the newest is the latest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import SqliteRuleSetStore


async def test_versions_count_up_and_the_newest_is_latest(tmp_path: Path) -> None:
    store = SqliteRuleSetStore(tmp_path / "lifeline.db")
    try:
        assert await store.latest() is None
        first = await store.save("rules: []\n", "abc", "admin", 1, None)
        second = await store.save("version: 1\nrules: []\n", "abc", "admin", 2, "tighter")
        assert (first.version, second.version) == (1, 2)
        assert await store.latest() == second
        assert [s.version for s in await store.history()] == [2, 1]
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "lifeline.db") as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM rule_sets")
