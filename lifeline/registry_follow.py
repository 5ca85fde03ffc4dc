"""Keep a process's live :class:`Registry` in step with the registry store.

Scaled out, an administrator's edit is made by the API process; ingest and rules
workers hold their own copy in memory. :func:`follow_registry` polls the store's
``version`` (one row, cheap) and, when it moved, loads the registry and has the live
object :meth:`~lifeline.core.registry.Registry.adopt` it, so decode, rules and telemetry
tags use the edit from then on (within ``interval_s``). ``lifeline up`` does not need
it: there the API edits the very object ingest and the engine read.
"""

from __future__ import annotations

import asyncio
import logging

from lifeline.core.ports import RegistryStore
from lifeline.core.registry import Registry

__all__ = ["DEFAULT_INTERVAL_S", "follow_registry", "refresh_registry"]

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 2.0


async def refresh_registry(store: RegistryStore, registry: Registry, known: int) -> int:
    """Adopt the stored registry if its version is not ``known``; the version now."""
    version = await store.version()
    if version == known:
        return known
    loaded = await store.load()
    if loaded is None:
        return known
    registry.adopt(loaded)
    log.info("registry_reloaded", extra={"version": version, "channels": len(loaded.channels)})
    return version


async def follow_registry(
    store: RegistryStore, registry: Registry, interval_s: float = DEFAULT_INTERVAL_S
) -> None:
    """Refresh ``registry`` from ``store`` every ``interval_s`` until cancelled.

    The first refresh always reloads: an edit saved between the role's own load and
    this call is not missed."""
    known = -1
    while True:
        await asyncio.sleep(interval_s)
        try:
            known = await refresh_registry(store, registry, known)
        except Exception:  # a store hiccup: keep the registry we have, try again
            log.exception("registry_reload_failed")
