"""SqliteRegistryStore against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lifeline.registry import Registry, Station
from lifeline.seed import generate_registry
from store import SqliteAlertStore, SqliteRegistryStore


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
    assert versions == {"registry": 1, "alerts": 2}
