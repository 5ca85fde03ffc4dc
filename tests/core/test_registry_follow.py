"""A worker's live registry follows edits saved by another process (the API)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import msgspec

from lifeline.core.registry import Registry
from lifeline.registry_follow import follow_registry, refresh_registry
from lifeline.seed import generate_registry
from store import SqliteRegistryStore
from tests.e2e.stack import eventually


async def _edit_high(store: SqliteRegistryStore, channel: str, high_pct: float) -> None:
    """What the API process does on ``PUT /api/v1/channels/{id}``."""
    edited = await store.load()
    assert edited is not None
    edited.channels[channel] = msgspec.structs.replace(edited.channels[channel], high_pct=high_pct)
    await store.save(edited)


async def high_is(registry: Registry, high_pct: float) -> bool | None:
    return True if registry.channels["GAS-0002"].high_pct == high_pct else None


async def test_refresh_adopts_a_newer_registry_in_the_same_object(tmp_path: Path) -> None:
    editor, worker = SqliteRegistryStore(tmp_path / "l.db"), SqliteRegistryStore(tmp_path / "l.db")
    try:
        await editor.save(generate_registry(meters=3))
        live = await worker.load()
        assert live is not None
        known = await worker.version()
        assert await refresh_registry(worker, live, known) == known  # nothing new
        tables = live.channels
        await _edit_high(editor, "GAS-0001", 30.0)
        known = await refresh_registry(worker, live, known)
        assert known == 2
        assert live.channels["GAS-0001"].high_pct == 30.0  # the object everyone holds
        assert live.channels is not tables
        assert live.owner_of("HEAT-010-S02") == "heat-010"
    finally:
        await editor.close()
        await worker.close()


async def test_follow_reloads_until_cancelled(tmp_path: Path) -> None:
    editor, worker = SqliteRegistryStore(tmp_path / "l.db"), SqliteRegistryStore(tmp_path / "l.db")
    await editor.save(generate_registry(meters=3))
    loaded = await worker.load()
    assert loaded is not None
    live: Registry = loaded
    task = asyncio.create_task(follow_registry(worker, live, interval_s=0.01))
    try:
        await _edit_high(editor, "GAS-0002", 35.0)
        await eventually(lambda: high_is(live, 35.0), timeout_s=30.0, interval_s=0.01)
        await _edit_high(editor, "GAS-0002", 40.0)
        await eventually(lambda: high_is(live, 40.0), timeout_s=30.0, interval_s=0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await editor.close()
        await worker.close()
