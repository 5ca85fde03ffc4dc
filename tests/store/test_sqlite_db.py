"""Opening helpers and schema migrations (store.sqlite_db)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store.sqlite_db import (
    ROWS_PER_INSERT,
    connect,
    insert_rows,
    migrate,
    schema_version,
    transaction,
)

V1 = (("CREATE TABLE t (a INTEGER)",),)
V2 = (*V1, ("ALTER TABLE t ADD COLUMN b TEXT", "CREATE INDEX t_b ON t(b)"))


def test_connect_sets_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path / "sub" / "x.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        conn.close()


def test_migrations_apply_once_and_in_order(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        assert schema_version(conn, "demo") == 0
        assert migrate(conn, "demo", V1) == 1
        assert migrate(conn, "demo", V1) == 1  # nothing to do, no "table exists" error
        assert migrate(conn, "demo", V2) == 2
        conn.execute("INSERT INTO t(a, b) VALUES (1, 'x')")
        assert schema_version(conn, "demo") == 2
        assert schema_version(conn, "other") == 0
    finally:
        conn.close()


def test_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        migrate(conn, "demo", V1)
        broken = (*V1, ("ALTER TABLE t ADD COLUMN c TEXT", "THIS IS NOT SQL"))
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, "demo", broken)
        assert schema_version(conn, "demo") == 1
        columns = [row[1] for row in conn.execute("PRAGMA table_info(t)")]
        assert columns == ["a"]
    finally:
        conn.close()


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        migrate(conn, "demo", V2)
        with pytest.raises(RuntimeError, match="newer"):
            migrate(conn, "demo", V1)
    finally:
        conn.close()


def test_transaction_rolls_back_when_the_block_raises(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        migrate(conn, "demo", V1)

        def insert_then_fail() -> None:
            with transaction(conn):
                conn.execute("INSERT INTO t(a) VALUES (1)")
                raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            insert_then_fail()
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        assert not conn.in_transaction
    finally:
        conn.close()


@pytest.mark.parametrize(
    "count", [0, 1, ROWS_PER_INSERT - 1, ROWS_PER_INSERT, 3 * ROWS_PER_INSERT + 7]
)
def test_insert_rows_stores_what_executemany_stores(count: int) -> None:
    # Keys repeat (k % 100), so later rows of a batch must win exactly as with executemany,
    # also across statement boundaries; the upsert tail must keep the larger value.
    rows = [(k % 100, float(k) + 0.1) for k in range(count)]
    results = []
    for use_insert_rows in (False, True):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v REAL)")
        conn.execute("CREATE TABLE u (k INTEGER PRIMARY KEY, v REAL)")
        tail = "ON CONFLICT(k) DO UPDATE SET v = excluded.v WHERE excluded.v > u.v"
        if use_insert_rows:
            insert_rows(conn, "INSERT OR REPLACE INTO t(k, v)", rows, 2)
            insert_rows(conn, "INSERT INTO u(k, v)", reversed(rows), 2, tail)
        else:
            conn.executemany("INSERT OR REPLACE INTO t(k, v) VALUES (?, ?)", rows)
            conn.executemany(f"INSERT INTO u(k, v) VALUES (?, ?) {tail}", reversed(rows))
        results.append(
            (
                conn.execute("SELECT * FROM t ORDER BY k").fetchall(),
                conn.execute("SELECT * FROM u ORDER BY k").fetchall(),
            )
        )
        conn.close()
    assert results[0] == results[1]
    assert len(results[1][0]) == min(count, 100)
