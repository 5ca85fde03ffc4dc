"""The state a source shows on a map or list: ``normal | alarm | fault | offline``.

Pure. The alert part is :func:`alerts.source_state.source_state` (worst category among
open alerts whose condition is still active: alarm > fault > offline). On top of it a
source that has never been seen, or whose newest record is older than
``offline_after_ms`` before ``now_ms``, shows ``offline`` unless an alarm or fault says
more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from alerts.source_state import SourceState, source_state
from lifeline.core.alert import Alert

__all__ = ["OFFLINE_AFTER_MS", "SourceState", "displayed_state"]

OFFLINE_AFTER_MS: Final = 15 * 60 * 1000


def displayed_state(
    alerts: Iterable[Alert],
    last_seen_ms: int | None,
    now_ms: int,
    offline_after_ms: int = OFFLINE_AFTER_MS,
) -> SourceState:
    """State of one source from its alerts, when it was last seen, and the time now."""
    state = source_state(alerts)
    silent = last_seen_ms is None or now_ms - last_seen_ms > offline_after_ms
    if state == "normal" and silent:
        return "offline"
    return state
