"""Threshold state machine: one series (source, metric) against a rule's levels.

Pure: ``update(state, value, ts_ms, rule, source_id) -> (state, evaluation)``.

- A level is *entered* when the value passes it (see :class:`rules.Direction`) and,
  once entered, *held* until the value is back past ``level ∓ deadband``.
- The severity is that of the highest level entered or held; it escalates and
  de-escalates inside the same active condition.
- Raising needs the condition to hold ``on_delay_s`` of event time (0 = first record);
  clearing needs it absent ``off_delay_s``. Delays are measured between records.
- A record not newer than the last one seen is ignored (``None`` evaluation).
"""

from __future__ import annotations

import msgspec

from alerts.evaluation import Evaluation
from alerts.rules import Direction, Level, ThresholdRule

__all__ = ["ThresholdState", "current", "level_index", "update"]


class ThresholdState(msgspec.Struct, frozen=True):
    last_ts_ms: int
    last_value: float
    active: bool = False
    level: int = -1  # index into rule.levels while active, else -1
    pending_since_ms: int | None = None  # condition seen, waiting for on-delay
    clearing_since_ms: int | None = None  # condition gone, waiting for off-delay


def level_index(
    value: float, levels: list[Level], direction: Direction, deadband: float, held: int
) -> int:
    """Index of the highest level the value enters, or holds (levels <= ``held``, within
    the deadband); -1 for none."""
    index = -1
    for i, level in enumerate(levels):
        if direction is Direction.ABOVE:
            entered = value >= level.value
            holds = value >= level.value - deadband
        else:
            entered = value < level.value
            holds = value <= level.value + deadband
        if entered or (i <= held and holds):
            index = i
    return index


def update(
    state: ThresholdState | None, value: float, ts_ms: int, rule: ThresholdRule, source_id: str
) -> tuple[ThresholdState | None, Evaluation | None]:
    if state is not None and ts_ms <= state.last_ts_ms:
        return state, None
    held = state.level if state is not None and state.active else -1
    raw = level_index(value, rule.levels, rule.direction, rule.deadband, held)
    if state is None or not state.active:
        if raw < 0:
            new = ThresholdState(ts_ms, value)
        else:
            since = ts_ms
            if state is not None and state.pending_since_ms is not None:
                since = state.pending_since_ms
            if ts_ms - since >= rule.on_delay_ms:
                new = ThresholdState(ts_ms, value, active=True, level=raw)
            else:
                new = ThresholdState(ts_ms, value, pending_since_ms=since)
    elif raw >= 0:
        new = ThresholdState(ts_ms, value, active=True, level=raw)
    else:
        since = state.clearing_since_ms if state.clearing_since_ms is not None else ts_ms
        if ts_ms - since >= rule.off_delay_ms:
            new = ThresholdState(ts_ms, value)
        else:
            new = ThresholdState(
                ts_ms, value, active=True, level=state.level, clearing_since_ms=since
            )
    return new, current(new, rule, source_id)


def current(state: ThresholdState | None, rule: ThresholdRule, source_id: str) -> Evaluation | None:
    """The evaluation a state stands for (``None`` before the first record)."""
    if state is None:
        return None
    if not state.active:
        return Evaluation(active=False, value=state.last_value)
    level = rule.levels[state.level]
    message = rule.message.format(
        source_id=source_id,
        rule=rule.name,
        metric=rule.metric,
        value=state.last_value,
        threshold=level.value,
        severity=level.severity.value,
    )
    return Evaluation(
        active=True,
        severity=level.severity,
        value=state.last_value,
        threshold=level.value,
        message=message,
    )
