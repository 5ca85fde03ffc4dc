"""SqliteRegistryStore: the durable registry (``lifeline.db``), one table per entity.

Tables ``utilities``, ``channels``, ``enterprises``, ``stations`` and ``meters`` have one
column per field of the entity struct in :mod:`lifeline.core.registry`, with foreign keys to
the owning utility or enterprise. ``save`` replaces the whole registry in one
transaction and counts up ``registry_version`` (one row), so processes that hold the
registry in memory notice an edit by polling ``version`` (see ``lifeline.registry_follow``);
``load`` returns ``None`` while nothing has been saved. Migration 3 adds
``registered_at_ms`` to the four source tables (NULL for rows saved before it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Final, TypeVar

import msgspec

from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station, Utility
from store.sqlite_db import Migration, SqliteWorker, Synchronous, transaction

__all__ = ["SqliteRegistryStore"]

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """CREATE TABLE utilities (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL) WITHOUT ROWID""",
        """CREATE TABLE channels (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, district TEXT NOT NULL,
            site_type TEXT NOT NULL, address TEXT NOT NULL, lat REAL NOT NULL,
            lon REAL NOT NULL, owner TEXT NOT NULL REFERENCES utilities(id),
            low_pct REAL NOT NULL, high_pct REAL NOT NULL) WITHOUT ROWID""",
        """CREATE TABLE enterprises (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, district TEXT NOT NULL,
            owner TEXT NOT NULL REFERENCES utilities(id), lat REAL NOT NULL,
            lon REAL NOT NULL) WITHOUT ROWID""",
        """CREATE TABLE stations (
            id TEXT PRIMARY KEY, enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
            name TEXT NOT NULL, district TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
            area_m2 REAL NOT NULL) WITHOUT ROWID""",
        """CREATE TABLE meters (
            id TEXT PRIMARY KEY, owner TEXT NOT NULL REFERENCES utilities(id),
            district TEXT NOT NULL, address TEXT NOT NULL, lat REAL NOT NULL,
            lon REAL NOT NULL, model TEXT NOT NULL) WITHOUT ROWID""",
        "CREATE INDEX channels_by_owner ON channels(owner)",
        "CREATE INDEX enterprises_by_owner ON enterprises(owner)",
        "CREATE INDEX stations_by_enterprise ON stations(enterprise_id)",
        "CREATE INDEX meters_by_owner ON meters(owner)",
    ),
    (
        """CREATE TABLE registry_version (
            id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL)""",
        "INSERT INTO registry_version(id, version) VALUES (0, 0)",
    ),
    (  # 3: when each source was registered (NULL: seeded before it was kept)
        "ALTER TABLE channels ADD COLUMN registered_at_ms INTEGER",
        "ALTER TABLE enterprises ADD COLUMN registered_at_ms INTEGER",
        "ALTER TABLE stations ADD COLUMN registered_at_ms INTEGER",
        "ALTER TABLE meters ADD COLUMN registered_at_ms INTEGER",
    ),
)

E = TypeVar("E", Utility, Channel, Enterprise, Station, Meter)

# Referenced tables first: inserted in this order, deleted in the reverse.
_TABLES: Final = ("utilities", "channels", "enterprises", "stations", "meters")


class SqliteRegistryStore:
    """:class:`lifeline.core.ports.RegistryStore` on SQLite; tables are created on open."""

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "registry", _MIGRATIONS, synchronous)

    async def load(self) -> Registry | None:
        return await self._worker.run(_load)

    async def save(self, registry: Registry) -> None:
        """Replace the stored registry with ``registry`` (one transaction)."""
        await self._worker.run(_save, registry)

    async def version(self) -> int:
        """How many times the registry has been saved (0 = never)."""
        return await self._worker.run(_version)

    async def close(self) -> None:
        await self._worker.close()


def _insert(conn: sqlite3.Connection, table: str, cls: type[E], entities: Iterable[E]) -> None:
    fields = cls.__struct_fields__
    conn.executemany(
        f"INSERT INTO {table}({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
        (msgspec.structs.astuple(e) for e in entities),
    )


def _save(conn: sqlite3.Connection, registry: Registry) -> None:
    with transaction(conn):
        for table in reversed(_TABLES):
            conn.execute(f"DELETE FROM {table}")
        _insert(conn, "utilities", Utility, registry.utilities.values())
        _insert(conn, "channels", Channel, registry.channels.values())
        _insert(conn, "enterprises", Enterprise, registry.enterprises.values())
        _insert(conn, "stations", Station, registry.stations.values())
        _insert(conn, "meters", Meter, registry.meters.values())
        conn.execute("UPDATE registry_version SET version = version + 1")


def _version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT version FROM registry_version").fetchone()
    return int(row[0])


# Columns with a few distinct values over millions of rows (10 districts, a dozen owners,
# two meter models): one shared string each instead of one per row (~170 bytes a meter).
_SHARED_COLUMNS: Final = frozenset({"owner", "district", "model", "site_type", "enterprise_id"})


def _select(conn: sqlite3.Connection, table: str, cls: type[E]) -> list[E]:
    fields = cls.__struct_fields__
    rows = conn.execute(f"SELECT {', '.join(fields)} FROM {table} ORDER BY id")
    shared = [i for i, name in enumerate(fields) if name in _SHARED_COLUMNS]
    pool: dict[object, object] = {}
    out: list[E] = []
    for row in rows:
        values = list(row)
        for i in shared:
            values[i] = pool.setdefault(values[i], values[i])
        out.append(cls(*values))
    return out


def _load(conn: sqlite3.Connection) -> Registry | None:
    with transaction(conn, "DEFERRED"):  # one consistent snapshot of all five tables
        utilities = _select(conn, "utilities", Utility)
        channels = _select(conn, "channels", Channel)
        enterprises = _select(conn, "enterprises", Enterprise)
        stations = _select(conn, "stations", Station)
        meters = _select(conn, "meters", Meter)
    if not (utilities or channels or enterprises or stations or meters):
        return None
    return Registry(utilities, channels, enterprises, stations, meters)
