"""The state a source shows, from its open alerts: ``normal | alarm | fault | offline``.

Pure. The worst category among open alerts whose condition is still active wins
(alarm > fault > offline); ``info`` alerts and conditions already cleared (awaiting
acknowledgement) leave the source ``normal``. A never-seen source gets its offline
alert one deadman timeout after the start; before that the API shows it offline by
its missing last-seen time (``api.presence``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

from lifeline.core.alert import OPEN_STATES, Alert, AlertCategory

__all__ = ["SourceState", "source_state"]

SourceState = Literal["normal", "alarm", "fault", "offline"]

_SHOWN: Final[dict[AlertCategory, tuple[int, SourceState]]] = {
    AlertCategory.ALARM: (3, "alarm"),
    AlertCategory.FAULT: (2, "fault"),
    AlertCategory.OFFLINE: (1, "offline"),
}


def source_state(alerts: Iterable[Alert]) -> SourceState:
    """State of one source from its alerts (any alerts may be passed; closed ones,
    cleared conditions and info alerts are ignored)."""
    rank = 0
    state: SourceState = "normal"
    for alert in alerts:
        if alert.state not in OPEN_STATES or not alert.condition_active:
            continue
        shown = _SHOWN.get(alert.category)
        if shown is not None and shown[0] > rank:
            rank, state = shown
    return state
