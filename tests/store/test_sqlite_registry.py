"""SqliteRegistryStore against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station, Utility
from lifeline.seed import generate_registry
from store import SqliteAlertStore, SqliteRegistryStore
from store.sqlite_db import migrate
from store.sqlite_registry import _MIGRATIONS


def _tables(registry: Registry) -> tuple[dict[str, object], ...]:
    return (
        dict(registry.utilities),
        dict(registry.channels),
        dict(registry.enterprises),
        dict(registry.stations),
        dict(registry.meters),
    )


async def test_load_is_none_before_anything_is_saved(tmp_path: Path) -> None:
    store = SqliteRegistryStore(tmp_path / "lifeline.db")
    try:
        assert await store.load() is None
    finally:
        await store.close()


async def test_saved_registry_loads_equal_to_the_generated_one(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    generated = generate_registry(meters=2000)
    store = SqliteRegistryStore(path)
    await store.save(generated)
    await store.close()

    reopened = SqliteRegistryStore(path)
    try:
        loaded = await reopened.load()
    finally:
        await reopened.close()

    assert loaded is not None
    assert _tables(loaded) == _tables(generated)
    assert loaded.stations_by_enterprise == generated.stations_by_enterprise
    assert loaded.owner_of("HEAT-010-S02") == "heat-010"


async def test_save_replaces_the_previous_registry(tmp_path: Path) -> None:
    store = SqliteRegistryStore(tmp_path / "lifeline.db")
    try:
        await store.save(generate_registry(meters=300))
        smaller = generate_registry(seed=7, meters=10)
        await store.save(smaller)

        loaded = await store.load()

        assert loaded is not None
        assert _tables(loaded) == _tables(smaller)
        assert len(loaded.meters) == 10
    finally:
        await store.close()


async def test_save_refuses_a_station_of_an_unknown_enterprise(tmp_path: Path) -> None:
    store = SqliteRegistryStore(tmp_path / "lifeline.db")
    try:
        good = generate_registry(meters=0)
        await store.save(good)
        orphan = Station("HEAT-999-S01", "HEAT-999", "孤儿换热站", "市南", 36.07, 120.38, 1e5)
        bad = Registry(
            good.utilities.values(),
            good.channels.values(),
            good.enterprises.values(),
            [*good.stations.values(), orphan],
            [],
        )

        with pytest.raises(sqlite3.IntegrityError):
            await store.save(bad)

        loaded = await store.load()  # the failed save left the old registry intact
        assert loaded is not None
        assert _tables(loaded) == _tables(good)
        assert await store.version() == 1  # ... and its version
    finally:
        await store.close()


async def test_registry_and_alerts_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    registry = SqliteRegistryStore(path)
    alerts = SqliteAlertStore(path)
    try:
        await registry.save(generate_registry(meters=5))
        assert await alerts.open_alerts() == []
        loaded = await registry.load()
        assert loaded is not None
        assert len(loaded.channels) == 525
    finally:
        await alerts.close()
        await registry.close()
    with sqlite3.connect(path) as conn:
        versions = dict(conn.execute("SELECT component, version FROM schema_version"))
    assert versions == {"registry": 3, "alerts": 2}


async def test_version_counts_saves_seen_by_every_store_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    editor, follower = SqliteRegistryStore(path), SqliteRegistryStore(path)
    try:
        assert await follower.version() == 0
        registry = generate_registry(meters=5)
        await editor.save(registry)
        await editor.save(registry)
        assert await follower.version() == 2
    finally:
        await editor.close()
        await follower.close()


async def test_a_registry_stored_before_the_version_counter_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    with sqlite3.connect(path, isolation_level=None) as conn:  # schema version 1 only
        migrate(conn, "registry", _MIGRATIONS[:1])
        _save_v1(conn, generate_registry(meters=5))
    store = SqliteRegistryStore(path)
    try:
        loaded = await store.load()
        assert loaded is not None
        assert len(loaded.channels) == 525
        assert await store.version() == 0
        await store.save(loaded)
        assert await store.version() == 1
    finally:
        await store.close()


def _save_v1(conn: sqlite3.Connection, registry: Registry) -> None:
    """What a save did before the version counter existed."""
    for table, cls, rows in (
        ("utilities", Utility, registry.utilities.values()),
        ("channels", Channel, registry.channels.values()),
        ("enterprises", Enterprise, registry.enterprises.values()),
        ("stations", Station, registry.stations.values()),
        ("meters", Meter, registry.meters.values()),
    ):
        fields = tuple(f for f in cls.__struct_fields__ if f != "registered_at_ms")
        conn.executemany(
            f"INSERT INTO {table}({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
            (tuple(getattr(row, f) for f in fields) for row in rows),
        )


async def test_registration_times_are_kept_and_old_rows_load_without_one(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    with sqlite3.connect(path, isolation_level=None) as conn:  # before migration 3
        migrate(conn, "registry", _MIGRATIONS[:2])
        _save_v1(conn, generate_registry(meters=5))
    store = SqliteRegistryStore(path)
    try:
        loaded = await store.load()
        assert loaded is not None
        assert {c.registered_at_ms for c in loaded.channels.values()} == {None}
        channel = loaded.channels["GAS-0001"]
        loaded.channels["GAS-0001"] = msgspec.structs.replace(channel, registered_at_ms=1234)
        await store.save(loaded)
        again = await store.load()
        assert again is not None
        assert again.channels["GAS-0001"].registered_at_ms == 1234
        assert again.channels["GAS-0002"].registered_at_ms is None
    finally:
        await store.close()
