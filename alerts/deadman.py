"""Deadman (offline) state machine and the station-under-enterprise inhibition.

Pure. ``seen`` records that a source sent something (clears the condition);
``check`` compares the silence with the rule's timeout at ``now_ms``.

"Now" is the event-time watermark (the newest ``ts_ms`` of any record), never the wall
clock: a simulation replaying a day in a minute behaves like a real day. A source is
armed only by its first record; sources never seen have no state and never alert.
"""

from __future__ import annotations

import msgspec

from alerts.evaluation import Evaluation
from alerts.rules import DeadmanRule

__all__ = ["DeadmanState", "check", "inhibited", "seen"]


class DeadmanState(msgspec.Struct, frozen=True):
    last_seen_ms: int
    active: bool = False


def seen(state: DeadmanState | None, ts_ms: int) -> tuple[DeadmanState, Evaluation | None]:
    """A record at ``ts_ms``: the source is alive. Older records are ignored."""
    if state is not None and ts_ms <= state.last_seen_ms:
        return state, None
    return DeadmanState(ts_ms), Evaluation(active=False)


def check(
    state: DeadmanState, now_ms: int, rule: DeadmanRule, source_id: str
) -> tuple[DeadmanState, Evaluation | None]:
    """Raise once when the silence exceeds the timeout; ``None`` when nothing changes."""
    silence_ms = now_ms - state.last_seen_ms
    if state.active or silence_ms <= rule.timeout_ms:
        return state, None
    message = rule.message.format(
        source_id=source_id,
        rule=rule.name,
        silence_s=silence_ms / 1000,
        timeout_s=rule.timeout_s,
    )
    evaluation = Evaluation(
        active=True,
        severity=rule.severity,
        value=silence_ms / 1000,
        threshold=rule.timeout_s,
        message=message,
    )
    return DeadmanState(state.last_seen_ms, active=True), evaluation


def inhibited(enterprise: DeadmanState | None, now_ms: int, station_rule: DeadmanRule) -> bool:
    """A station's deadman is held back while its whole enterprise has been silent for
    half the station timeout or more: the outage then belongs to the enterprise's own
    deadman, which raises one alert instead of one per station.

    Half, not all of it: stations report at staggered times, so the station that spoke
    first in the enterprise's last round times out up to one reporting period before the
    enterprise does. A live enterprise with several stations reporting every 1-5 min is
    never silent for half a station timeout (7.5 min by default)."""
    if enterprise is None:
        return False
    return now_ms - enterprise.last_seen_ms >= station_rule.timeout_ms // 2
