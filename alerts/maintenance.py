"""The maintenance schedule the rule engine reads: an in-memory copy of the windows of
the maintenance store, answering "is this source in maintenance now, and why?" without
a store call (``EngineOptions.suppressed`` is asked at every new alert).

:class:`MaintenanceSchedule` is refreshed by :mod:`alerts.maintenance_runner` when the
store's version moves (an edit by this or another process) and on its timer; times are
wall-clock instants, checked at the moment of the question, so a window scheduled ahead
starts and ends on time between refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from lifeline.core.maintenance import MaintenanceQuery, MaintenanceWindow, covers, window_tag
from lifeline.core.ports import MaintenanceStore
from lifeline.core.registry import Registry

__all__ = ["LOOKBACK_MS", "MaintenanceSchedule"]

LOOKBACK_MS: Final = 7 * 24 * 3_600_000
"""Windows over for longer than this are not loaded (their end was carried out)."""
_MAX_WINDOWS: Final = 100_000


class MaintenanceSchedule:
    """Windows ending after ``now - LOOKBACK_MS`` (cancelled ones included, so their end
    is carried out), indexed by target id."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._by_target: dict[str, list[MaintenanceWindow]] = {}
        self.windows: tuple[MaintenanceWindow, ...] = ()
        self.version = -1

    def load(self, windows: Iterable[MaintenanceWindow], version: int) -> None:
        by_target: dict[str, list[MaintenanceWindow]] = {}
        kept = tuple(windows)
        for window in kept:
            by_target.setdefault(window.target_id, []).append(window)
        self._by_target, self.windows, self.version = by_target, kept, version

    async def refresh(self, store: MaintenanceStore, now_ms: int) -> bool:
        """Reload from ``store`` if its version moved; whether it did."""
        version = await store.version()
        if version == self.version:
            return False
        windows, _ = await store.query(
            MaintenanceQuery(
                ending_after=now_ms - LOOKBACK_MS, include_cancelled=True, limit=_MAX_WINDOWS
            )
        )
        self.load(windows, version)
        return True

    def window_for(
        self, source_id: str, at_ms: int, *, besides: int | None = None
    ) -> MaintenanceWindow | None:
        """The active window covering ``source_id`` at ``at_ms`` (the one ending last),
        leaving out window ``besides``; None when there is none."""
        found: MaintenanceWindow | None = None
        for target in (source_id, self._registry.enterprise_of(source_id)):
            if target is None:
                continue
            for window in self._by_target.get(target, ()):
                if (
                    window.id != besides
                    and window.active_at(at_ms)
                    and covers(window, source_id, self._registry.enterprise_of)
                    and (found is None or window.end_ms > found.end_ms)
                ):
                    found = window
        return found

    def reason(self, source_id: str, at_ms: int) -> str | None:
        """``EngineOptions.suppressed``: why ``source_id``'s new alerts are suppressed."""
        window = self.window_for(source_id, at_ms)
        return None if window is None else window_tag(window)
