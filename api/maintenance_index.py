"""Which sources are in maintenance now, for the registry routes' ``maintenance`` field.

:data:`ActiveMaintenanceDep` reads the windows active at the wall clock's "now" (one
store query per request) and answers per source: its own window, else its enterprise's
(a station). Without a maintenance store nothing is in maintenance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends

from api.deps import Deps
from lifeline.core.maintenance import MaintenanceQuery, MaintenanceWindow
from lifeline.core.registry import Registry

__all__ = ["ActiveMaintenance", "ActiveMaintenanceDep"]


class ActiveMaintenance:
    def __init__(self, windows: Iterable[MaintenanceWindow], registry: Registry) -> None:
        self._registry = registry
        self._by_target: dict[str, MaintenanceWindow] = {}
        for window in windows:  # of overlapping windows, the one ending last
            known = self._by_target.get(window.target_id)
            if known is None or window.end_ms > known.end_ms:
                self._by_target[window.target_id] = window

    def of(self, source_id: str) -> MaintenanceWindow | None:
        own = self._by_target.get(source_id)
        if own is not None:
            return own
        enterprise = self._registry.enterprise_of(source_id)
        return None if enterprise is None else self._by_target.get(enterprise)


async def _active(deps: Deps) -> ActiveMaintenance:
    if deps.maintenance is None:
        return ActiveMaintenance((), deps.registry)
    now = deps.auth_options.now_ms()
    windows, _ = await deps.maintenance.query(MaintenanceQuery(active_at=now, limit=100_000))
    return ActiveMaintenance(windows, deps.registry)


ActiveMaintenanceDep = Annotated[ActiveMaintenance, Depends(_active)]
