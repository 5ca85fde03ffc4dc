"""Maintenance windows: a source, a station or a heating enterprise (with all its
stations) planned out of service over a wall-clock range. Pure values.

While a window is active its target's new alerts are raised ``out_of_service`` (no
notification, the reason audited) and, at its start, the target's open alerts are
taken out of service by the actor :data:`MAINTENANCE_ACTOR`; at its end (or when it is
cancelled) those it took out — and those raised suppressed — return to service.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

__all__ = [
    "MAINTENANCE_ACTOR",
    "MaintenanceQuery",
    "MaintenanceWindow",
    "covers",
    "window_tag",
]

MAINTENANCE_ACTOR = "maintenance"


class MaintenanceWindow(msgspec.Struct, frozen=True):
    """``target_id`` is any registry source id; an enterprise covers its stations too.
    The window is active on ``[start_ms, end_ms)`` unless ``cancelled_at_ms`` is set."""

    target_id: str
    start_ms: int
    end_ms: int
    reason: str
    created_by: str
    created_at_ms: int
    id: int = 0
    updated_by: str | None = None
    updated_at_ms: int | None = None
    cancelled_by: str | None = None
    cancelled_at_ms: int | None = None

    def active_at(self, at_ms: int) -> bool:
        return self.cancelled_at_ms is None and self.start_ms <= at_ms < self.end_ms

    def over_at(self, at_ms: int) -> bool:
        """Ended or cancelled: nothing of its target stays out of service for it."""
        return self.cancelled_at_ms is not None or at_ms >= self.end_ms


class MaintenanceQuery(msgspec.Struct, frozen=True):
    """Filters of a window listing; None = any. ``active_at``: active at that instant;
    ``ending_after``: not over before it (current and upcoming)."""

    target_id: str | None = None
    active_at: int | None = None
    ending_after: int | None = None
    include_cancelled: bool = False
    limit: int = 1000
    offset: int = 0


def window_tag(window: MaintenanceWindow) -> str:
    """How a window is named in alert notes and audit entries."""
    return f"maintenance window #{window.id}: {window.reason}"


def covers(
    window: MaintenanceWindow, source_id: str, enterprise_of: Callable[[str], str | None]
) -> bool:
    """Whether ``window`` is about ``source_id`` (its own id, or its enterprise's)."""
    return window.target_id == source_id or window.target_id == enterprise_of(source_id)
