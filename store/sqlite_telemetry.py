"""SqliteTelemetryStore: the embedded time-series store (``telemetry.db``).

Tables (all ``WITHOUT ROWID``, clustered on their key):

- ``samples(source_id, metric, ts_ms, value)`` one row per (series, ts); rewriting the
  same series and ts replaces the value, so redelivery is harmless;
- ``series(source_id, metric)`` the metrics each source has (for :meth:`metrics`);
- ``events(source_id, ts_ms, type, detail)`` gas events and meter alarms;
- ``sources(source_id, last_ts_ms)`` newest event time per source; never moves back;
- ``presence(source_id, slot_ms)`` which PRESENCE_SLOT_MS slots a source sent in.

A station record also counts for its enterprise in ``sources`` and ``presence``, so an
enterprise's last-seen time and on-line rate are one lookup.

All SQLite work runs on the store's own worker thread (see :class:`SqliteWorker`); a
``write`` is one transaction and returns after it commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from lifeline.core.records import (
    Bucket,
    DeviceEvent,
    Point,
    Record,
    device_events,
    numeric_fields,
)
from store.presence import BatchPresence
from store.sqlite_db import (
    Migration,
    SqliteWorker,
    Synchronous,
    insert_rows,
    placeholders,
    transaction,
)

__all__ = ["SqliteTelemetryStore"]

_CHUNK: Final = 500  # ids per IN (...) list

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        "CREATE TABLE samples ("
        " source_id TEXT NOT NULL, metric TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
        " value REAL NOT NULL, PRIMARY KEY (source_id, metric, ts_ms)) WITHOUT ROWID",
        "CREATE TABLE series ("
        " source_id TEXT NOT NULL, metric TEXT NOT NULL,"
        " PRIMARY KEY (source_id, metric)) WITHOUT ROWID",
        "CREATE TABLE events ("
        " source_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, type TEXT NOT NULL, detail TEXT,"
        " PRIMARY KEY (source_id, ts_ms, type)) WITHOUT ROWID",
        "CREATE TABLE sources ("
        " source_id TEXT NOT NULL PRIMARY KEY, last_ts_ms INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE TABLE presence ("
        " source_id TEXT NOT NULL, slot_ms INTEGER NOT NULL,"
        " PRIMARY KEY (source_id, slot_ms)) WITHOUT ROWID",
    ),
)

# Row inserts: ``head`` + ``VALUES`` groups + ``tail`` (see :func:`insert_rows`).
_INSERT_SAMPLE: Final = "INSERT OR REPLACE INTO samples(source_id, metric, ts_ms, value)"
_INSERT_SERIES: Final = "INSERT OR IGNORE INTO series(source_id, metric)"
_INSERT_EVENT: Final = "INSERT OR REPLACE INTO events(source_id, ts_ms, type, detail)"
_UPSERT_SOURCE: Final = "INSERT INTO sources(source_id, last_ts_ms)"
_UPSERT_SOURCE_TAIL: Final = (
    "ON CONFLICT(source_id) DO UPDATE SET last_ts_ms = excluded.last_ts_ms"
    " WHERE excluded.last_ts_ms > sources.last_ts_ms"
)
_INSERT_PRESENCE: Final = "INSERT OR IGNORE INTO presence(source_id, slot_ms)"

# Buckets aligned to multiples of the step since the epoch; ``last`` is the value at the
# newest ts of the bucket, found by a primary-key lookup per bucket.
_HISTORY: Final = """
SELECT g.bucket, g.mean, g.lo, g.hi, s.value, g.n
FROM (
    SELECT (ts_ms / :step) * :step AS bucket, avg(value) AS mean, min(value) AS lo,
           max(value) AS hi, count(*) AS n, max(ts_ms) AS last_ts
    FROM samples
    WHERE source_id = :source AND metric = :metric AND ts_ms >= :start AND ts_ms < :end
    GROUP BY bucket
) AS g
JOIN samples AS s
  ON s.source_id = :source AND s.metric = :metric AND s.ts_ms = g.last_ts
ORDER BY g.bucket
"""
_LATEST: Final = (
    "SELECT ts_ms, value FROM samples WHERE source_id = ? AND metric = ?"
    " ORDER BY ts_ms DESC LIMIT 1"
)


class SqliteTelemetryStore:
    """:class:`lifeline.core.ports.TelemetryStore` on a SQLite file of its own.

    Opening (and creating or migrating the schema) happens in the constructor.
    """

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "telemetry", _MIGRATIONS, synchronous)

    async def write(self, records: Sequence[Record]) -> None:
        if records:
            await self._worker.run(_write, records)

    async def history(
        self, source_id: str, metric: str, start_ms: int, end_ms: int, step_ms: int
    ) -> list[Bucket]:
        if step_ms <= 0:
            raise ValueError("step_ms must be positive")
        return await self._worker.run(_history, source_id, metric, start_ms, end_ms, step_ms)

    async def latest(self, source_ids: Sequence[str], metric: str) -> dict[str, Point]:
        return await self._worker.run(_latest, list(source_ids), metric)

    async def metrics(self, source_id: str) -> list[str]:
        return await self._worker.run(_metrics, source_id)

    async def events(
        self, source_id: str, start_ms: int, end_ms: int, limit: int = 1000
    ) -> list[DeviceEvent]:
        return await self._worker.run(_events, source_id, start_ms, end_ms, limit)

    async def last_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        return await self._worker.run(_last_seen, list(source_ids))

    async def coverage(
        self, source_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> dict[str, int]:
        """Slots whose start lies in ``[start_ms, end_ms)`` with at least one record;
        every requested id is in the answer (0 when silent)."""
        return await self._worker.run(_coverage, list(source_ids), start_ms, end_ms)

    async def first_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        """Start of each source's first presence slot (``ports.FirstSeen``), for sources
        that ever sent."""
        return await self._worker.run(_first_seen, list(source_ids))

    async def count(self, source_id: str | None = None) -> int:
        return await self._worker.run(_count, source_id)

    async def close(self) -> None:
        await self._worker.close()


def _write(conn: sqlite3.Connection, records: Sequence[Record]) -> None:
    samples: list[tuple[str, str, int, float]] = []
    events: list[tuple[str, int, str, str | None]] = []
    presence = BatchPresence()
    for record in records:
        source, ts = record.source_id, record.ts_ms
        samples.extend((source, metric, ts, value) for metric, value in numeric_fields(record))
        events.extend((source, e.ts_ms, e.type, e.detail) for e in device_events(record))
        presence.add(record)
    samples.sort()  # key order: fewer B-tree page touches per insert
    with transaction(conn):
        insert_rows(conn, _INSERT_SAMPLE, samples, 4)
        insert_rows(conn, _INSERT_SERIES, {(s[0], s[1]) for s in samples}, 2)
        insert_rows(conn, _INSERT_EVENT, events, 4)
        insert_rows(conn, _UPSERT_SOURCE, presence.newest.items(), 2, _UPSERT_SOURCE_TAIL)
        insert_rows(conn, _INSERT_PRESENCE, presence.slots, 2)


def _history(
    conn: sqlite3.Connection, source: str, metric: str, start: int, end: int, step: int
) -> list[Bucket]:
    params = {"source": source, "metric": metric, "start": start, "end": end, "step": step}
    return [
        Bucket(ts_ms=b, mean=mean, min=lo, max=hi, last=last, count=n)
        for b, mean, lo, hi, last, n in conn.execute(_HISTORY, params)
    ]


def _latest(conn: sqlite3.Connection, sources: list[str], metric: str) -> dict[str, Point]:
    out: dict[str, Point] = {}
    for source in dict.fromkeys(sources):
        row = conn.execute(_LATEST, (source, metric)).fetchone()
        if row is not None:
            out[source] = Point(ts_ms=row[0], value=row[1])
    return out


def _metrics(conn: sqlite3.Connection, source: str) -> list[str]:
    rows = conn.execute("SELECT metric FROM series WHERE source_id = ? ORDER BY metric", (source,))
    return [metric for (metric,) in rows]


def _events(
    conn: sqlite3.Connection, source: str, start: int, end: int, limit: int
) -> list[DeviceEvent]:
    rows = conn.execute(
        "SELECT ts_ms, type, detail FROM events"
        " WHERE source_id = ? AND ts_ms >= ? AND ts_ms < ?"
        " ORDER BY ts_ms DESC, type LIMIT ?",
        (source, start, end, limit),
    )
    return [DeviceEvent(ts_ms=ts, type=kind, detail=detail) for ts, kind, detail in rows]


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), _CHUNK):
        yield unique[i : i + _CHUNK]


def _last_seen(conn: sqlite3.Connection, sources: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in _chunks(sources):
        rows = conn.execute(
            "SELECT source_id, last_ts_ms FROM sources"
            f" WHERE source_id IN ({placeholders(len(chunk))})",
            chunk,
        )
        out.update(rows)
    return out


def _coverage(conn: sqlite3.Connection, sources: list[str], start: int, end: int) -> dict[str, int]:
    out = dict.fromkeys(sources, 0)
    for chunk in _chunks(sources):
        rows = conn.execute(
            "SELECT source_id, count(*) FROM presence"
            f" WHERE source_id IN ({placeholders(len(chunk))}) AND slot_ms >= ? AND slot_ms < ?"
            " GROUP BY source_id",
            [*chunk, start, end],
        )
        out.update(rows)
    return out


def _first_seen(conn: sqlite3.Connection, sources: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for source in dict.fromkeys(sources):  # one index seek each (primary key order)
        row = conn.execute(
            "SELECT slot_ms FROM presence WHERE source_id = ? ORDER BY slot_ms LIMIT 1", (source,)
        ).fetchone()
        if row is not None:
            out[source] = int(row[0])
    return out


def _count(conn: sqlite3.Connection, source: str | None) -> int:
    if source is None:
        row = conn.execute("SELECT count(*) FROM samples").fetchone()
    else:
        row = conn.execute("SELECT count(*) FROM samples WHERE source_id = ?", (source,)).fetchone()
    return int(row[0])
