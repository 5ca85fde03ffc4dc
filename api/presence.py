"""How the API shows a source's presence: on line or not, and its displayed state.

Pure. Both judge silence alike: a source is silent when it has never been seen or its
newest record is more than ``OFFLINE_AFTER_MS`` (15 min) older than its own feed's
"now" (``ApiDeps.feeds``, see :data:`api.deps.SourceNowDep`).

- :func:`is_online` (stations, enterprises): not silent.
- :func:`displayed_state` (channels): ``normal | alarm | fault | offline``. The alert
  part is :func:`alerts.source_state.source_state` (worst category among open alerts
  whose condition is still active: alarm > fault > offline); on top of it a silent
  source shows ``offline`` unless an alarm or fault says more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from alerts.source_state import SourceState, source_state
from lifeline.core.alert import Alert

__all__ = ["OFFLINE_AFTER_MS", "SourceState", "displayed_state", "is_online", "is_silent"]

OFFLINE_AFTER_MS: Final = 15 * 60 * 1000


def is_silent(
    last_seen_ms: int | None, now_ms: int, offline_after_ms: int = OFFLINE_AFTER_MS
) -> bool:
    """Never seen, or not seen for more than ``offline_after_ms`` before ``now_ms``."""
    return last_seen_ms is None or now_ms - last_seen_ms > offline_after_ms


def is_online(last_seen_ms: int | None, now_ms: int) -> bool:
    """Seen within the last 15 minutes of event time."""
    return not is_silent(last_seen_ms, now_ms)


def displayed_state(
    alerts: Iterable[Alert],
    last_seen_ms: int | None,
    now_ms: int,
    offline_after_ms: int = OFFLINE_AFTER_MS,
) -> SourceState:
    """State of one source from its alerts, when it was last seen, and the time now."""
    state = source_state(alerts)
    if state == "normal" and is_silent(last_seen_ms, now_ms, offline_after_ms):
        return "offline"
    return state
