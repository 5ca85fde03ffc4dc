"""Threshold state machine: one series (source, metric) against a rule's levels.

Pure: ``update(state, value, ts_ms, rule, source_id) -> (state, evaluation)``.

- A level is *entered* when the value passes it (see :class:`rules.Direction`) and,
  once entered, *held* until the value is back past ``level ∓ deadband``.
- The severity is that of the highest level entered or held; it escalates and
  de-escalates inside the same active condition.
- Raising needs the condition to hold ``on_delay_s`` of event time (0 = first record);
  clearing needs it absent ``off_delay_s``. Delays are measured between records.
- A *late* record (not newer than the newest one seen, contract v1.1) may only make
  things worse: it raises, or escalates an active condition, when it *enters* a level
  above the one that holds; otherwise it has no opinion (``None``). It never clears,
  de-escalates or moves a delay of the newest records. A late raise waits for the
  on-delay too, measured over a run of consecutive late records past a level
  (``late_since_ms`` .. ``late_until_ms``); that run is not joined with the newest
  records' own pending run (in event time the newest record lies between them).
  An equal timestamp is late too: a redelivery changes nothing, and of two values at
  the same instant the worse one wins.
"""

from __future__ import annotations

import msgspec

from alerts.evaluation import Evaluation
from alerts.rules import Direction, Level, ThresholdRule

__all__ = ["ThresholdState", "current", "level_index", "update"]


class ThresholdState(msgspec.Struct, frozen=True):
    last_ts_ms: int  # the newest record seen
    last_value: float  # the value the evaluation reports: the newest record's, or the
    # late one that raised or escalated the condition since
    active: bool = False
    level: int = -1  # index into rule.levels while active, else -1
    pending_since_ms: int | None = None  # condition seen, waiting for on-delay
    clearing_since_ms: int | None = None  # condition gone, waiting for off-delay
    late_since_ms: int | None = None  # late records past a level, waiting for on-delay:
    late_until_ms: int | None = None  # oldest and newest of that run (while not active)


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
        return _late(state, value, ts_ms, rule, source_id)
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
    if not new.active and state is not None and state.late_since_ms is not None:
        new = msgspec.structs.replace(
            new, late_since_ms=state.late_since_ms, late_until_ms=state.late_until_ms
        )
    return new, current(new, rule, source_id)


def _late(
    state: ThresholdState, value: float, ts_ms: int, rule: ThresholdRule, source_id: str
) -> tuple[ThresholdState, Evaluation | None]:
    """A record not newer than ``state.last_ts_ms``: raise or escalate, nothing else."""
    holding = state.level if state.active else -1
    entered = level_index(value, rule.levels, rule.direction, rule.deadband, -1)
    if entered <= holding:  # no worse than what holds: no opinion
        if entered < 0 and state.late_since_ms is not None:  # the late run is broken
            return msgspec.structs.replace(state, late_since_ms=None, late_until_ms=None), None
        return state, None
    if state.active:  # escalation needs no delay
        escalated = msgspec.structs.replace(state, last_value=value, level=entered)
        return escalated, current(escalated, rule, source_id)
    since = ts_ms if state.late_since_ms is None else min(state.late_since_ms, ts_ms)
    until = ts_ms if state.late_until_ms is None else max(state.late_until_ms, ts_ms)
    if until - since < rule.on_delay_ms:
        return msgspec.structs.replace(state, late_since_ms=since, late_until_ms=until), None
    raised = ThresholdState(state.last_ts_ms, value, active=True, level=entered)
    return raised, current(raised, rule, source_id)


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
