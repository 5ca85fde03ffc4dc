"""SQLite plumbing shared by the stores: opening, transactions, migrations, the worker.

Every store owns one :class:`SqliteWorker`: one connection used from one dedicated
thread, so the event loop never blocks on the disk and no two threads share a
connection. Several stores may open the same file (WAL lets readers run beside the
one writer; ``busy_timeout`` makes writers wait instead of failing).

Schemas are versioned per component in ``schema_version(component, version)``: each
store passes its ordered migrations (tuples of single SQL statements) to
:func:`migrate`, which applies the missing ones in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, Final, Literal, ParamSpec, TypeVar

from lifeline.core.timeutil import now_ms

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Migration",
    "SqliteWorker",
    "Synchronous",
    "connect",
    "migrate",
    "placeholders",
    "schema_version",
    "transaction",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

BUSY_TIMEOUT_MS: Final = 10_000
Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
Migration = Sequence[str]  # single SQL statements, applied in order

_SCHEMA_VERSION_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " component TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL,"
    " applied_at_ms INTEGER NOT NULL)"
)


def connect(path: Path, synchronous: Synchronous = "NORMAL") -> sqlite3.Connection:
    """Open ``path`` (creating its folder) in WAL mode with foreign keys enforced.

    The connection is in autocommit mode; write through :func:`transaction`.
    ``synchronous=NORMAL`` (the default) keeps every committed transaction across a
    crash of the process; ``FULL`` also across a power loss, at a cost per commit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextlib.contextmanager
def transaction(
    conn: sqlite3.Connection, mode: Literal["IMMEDIATE", "DEFERRED"] = "IMMEDIATE"
) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back if the block raises.

    ``DEFERRED`` takes no write lock until the first write: use it for a consistent
    snapshot over several reads.
    """
    conn.execute(f"BEGIN {mode}")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection, component: str) -> int:
    """Applied schema version of ``component`` (0 when none)."""
    conn.execute(_SCHEMA_VERSION_DDL)
    row = conn.execute(
        "SELECT version FROM schema_version WHERE component = ?", (component,)
    ).fetchone()
    return 0 if row is None else int(row[0])


def migrate(conn: sqlite3.Connection, component: str, migrations: Sequence[Migration]) -> int:
    """Apply the migrations of ``component`` not applied yet; return the new version.

    Migration ``i`` (0-based) takes the schema from version ``i`` to ``i + 1``. All
    pending ones run in one transaction, so a failure leaves the previous version.
    """
    conn.execute(_SCHEMA_VERSION_DDL)
    with transaction(conn):
        current = schema_version(conn, component)
        if current > len(migrations):
            raise RuntimeError(
                f"{component} schema is at version {current}, newer than this code "
                f"({len(migrations)})"
            )
        for statement in (s for m in migrations[current:] for s in m):
            conn.execute(statement)
        if current < len(migrations):
            conn.execute(
                "INSERT INTO schema_version(component, version, applied_at_ms) VALUES (?, ?, ?)"
                " ON CONFLICT(component) DO UPDATE SET"
                " version = excluded.version, applied_at_ms = excluded.applied_at_ms",
                (component, len(migrations), now_ms()),
            )
            log.info(
                "sqlite_schema_migrated",
                extra={"component": component, "from": current, "to": len(migrations)},
            )
    return len(migrations)


def placeholders(count: int) -> str:
    """``?, ?, …`` for an ``IN (...)`` list of ``count`` values."""
    return ", ".join("?" * count)


ROWS_PER_INSERT: Final = 256


def insert_rows(
    conn: sqlite3.Connection,
    head: str,
    rows: Iterable[Sequence[object]],
    width: int,
    tail: str = "",
) -> None:
    """Run ``head VALUES (?, …), (?, …), … tail`` over ``rows``, as many rows per
    statement as SQLite's variable limit allows.

    Same result as ``executemany`` (later rows of one batch win, as there), but
    ``executemany`` steps the statement once per row and releases the GIL around each
    step: while the event loop is busy, every re-acquisition waits up to the
    interpreter's switch interval (5 ms), so a 20,000-row batch took 2 minutes instead
    of 0.2 s (GIL convoy). One step per :data:`ROWS_PER_INSERT` rows leaves few waits;
    full statements are the same text, so SQLite compiles them once (statement cache).
    """
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width
    per_statement = max(1, min(ROWS_PER_INSERT, limit))
    group = "(" + ", ".join("?" * width) + ")"
    batch: list[object] = []
    count = 0
    for row in rows:
        batch.extend(row)
        count += 1
        if count == per_statement:
            conn.execute(f"{head} VALUES {', '.join([group] * count)} {tail}", batch)
            batch, count = [], 0
    if count:
        conn.execute(f"{head} VALUES {', '.join([group] * count)} {tail}", batch)


class SqliteWorker:
    """One SQLite connection owned by one dedicated thread.

    :meth:`run` executes ``fn(conn, *args)`` on that thread and awaits the result; calls
    are served one at a time in order. :meth:`call` does the same synchronously (for
    constructors). After :meth:`close` every call raises ``RuntimeError``.
    """

    def __init__(
        self, path: Path, name: str, migrations: Sequence[Migration], synchronous: Synchronous
    ) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{name}")
        self._closed = False
        try:
            self._conn = self._executor.submit(connect, path, synchronous).result()
            self.call(migrate, name, migrations)
        except BaseException:
            self._executor.shutdown(wait=False)
            raise

    def call(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` on the worker thread and wait for it (blocking)."""
        self._check_open()
        return self._executor.submit(fn, self._conn, *args, **kw).result()

    async def run(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs
    ) -> T:
        """Run ``fn(conn, ...)`` on the worker thread without blocking the event loop."""
        self._check_open()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(fn, self._conn, *args, **kw)
        )

    async def close(self) -> None:
        """Finish queued work, close the connection and stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, _optimize_and_close, self._conn)
        self._executor.shutdown(wait=True)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"SQLite store {self.path} is closed")


def _optimize_and_close(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA optimize")
    conn.close()
