"""SqliteMaintenanceStore: windows added, edited, cancelled and listed; the version
counter other processes poll; each worker's progress through each window."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from lifeline.core.errors import NotFoundError
from lifeline.core.maintenance import MaintenanceQuery, MaintenanceWindow
from store import SqliteMaintenanceStore

H = 3_600_000
T0 = 1_700_000_000_000


def window(target: str = "GAS-0001", start: int = T0, hours: int = 2) -> MaintenanceWindow:
    return MaintenanceWindow(target, start, start + hours * H, "valve work", "admin", T0 - H)


async def test_windows_are_listed_by_start_and_filtered(tmp_path: Path) -> None:
    store = SqliteMaintenanceStore(tmp_path / "lifeline.db")
    try:
        later = await store.add(window("HEAT-001", T0 + 5 * H))
        now = await store.add(window("GAS-0001", T0))
        assert (now.id, later.id) == (2, 1)
        every, total = await store.query(MaintenanceQuery())
        assert [w.id for w in every] == [2, 1]
        assert total == 2
        active, _ = await store.query(MaintenanceQuery(active_at=T0 + H))
        assert [w.target_id for w in active] == ["GAS-0001"]
        assert (await store.query(MaintenanceQuery(active_at=T0 + 2 * H)))[0] == []  # half-open
        upcoming, _ = await store.query(MaintenanceQuery(ending_after=T0 + 3 * H))
        assert [w.id for w in upcoming] == [1]
        mine, _ = await store.query(MaintenanceQuery(target_id="HEAT-001"))
        assert mine == [later]
        assert await store.get(2) == now
        assert await store.get(99) is None
    finally:
        await store.close()


async def test_cancelled_windows_are_kept_but_never_active(tmp_path: Path) -> None:
    store = SqliteMaintenanceStore(tmp_path / "lifeline.db")
    try:
        added = await store.add(window())
        assert await store.version() == 1
        cancelled = msgspec.structs.replace(added, cancelled_by="admin", cancelled_at_ms=T0)
        await store.update(cancelled)
        assert await store.version() == 2
        assert (await store.query(MaintenanceQuery(active_at=T0 + 1)))[0] == []
        assert (await store.query(MaintenanceQuery()))[0] == []
        assert (await store.query(MaintenanceQuery(include_cancelled=True)))[0] == [cancelled]
        with pytest.raises(NotFoundError):
            await store.update(msgspec.structs.replace(added, id=42))
    finally:
        await store.close()


async def test_progress_is_per_worker_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    store, other = SqliteMaintenanceStore(path), SqliteMaintenanceStore(path)
    try:
        added = await store.add(window())
        assert await other.version() == 1  # another process sees the change
        await store.mark(added.id, "rules-0-7", "started", T0)
        await store.mark(added.id, "rules-0-7", "started", T0 + 1)
        await store.mark(added.id, "rules-8-15", "ended", T0)
        assert await other.progress("rules-0-7") == {(added.id, "started")}
        assert await other.progress("rules-8-15") == {(added.id, "ended")}
        assert await other.progress("engine") == set()
    finally:
        await store.close()
        await other.close()
