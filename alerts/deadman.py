"""Deadman (offline) state machine and the station-under-enterprise inhibition.

Pure. ``seen`` records that a source sent something (clears the condition);
``check`` compares the silence with the rule's timeout at ``now_ms``; ``unheard`` arms
a source that has sent nothing yet.

"Now" is the clock of the source's own feed (``alerts.feed_clock``): its utility's
progress in event time, or the wall clock once that feed is silent. A source that never
sent anything is armed at the feed's "now" when the engine first finds it in the
registry (``unheard``), so it is reported offline once its no-data time has passed
since then; its first record, whatever its time, replaces that.
"""

from __future__ import annotations

import msgspec

from alerts.evaluation import Evaluation
from alerts.rules import DeadmanRule

__all__ = ["DeadmanState", "check", "inhibited", "seen", "unheard"]


class DeadmanState(msgspec.Struct, frozen=True):
    last_seen_ms: int
    """The newest record's time, or (``heard`` False) when the source was armed."""
    active: bool = False
    heard: bool = True


def unheard(armed_at_ms: int) -> DeadmanState:
    """A source that has sent nothing yet, silent since ``armed_at_ms``."""
    return DeadmanState(armed_at_ms, heard=False)


def seen(state: DeadmanState | None, ts_ms: int) -> tuple[DeadmanState, Evaluation | None]:
    """A record at ``ts_ms``: the source is alive. Records not newer than the last one
    are ignored; the first record of an unheard source counts whatever its time."""
    if state is not None and state.heard and ts_ms <= state.last_seen_ms:
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
    return msgspec.structs.replace(state, active=True), evaluation


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
