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

import enum
import itertools
from collections.abc import Iterator, Sequence
from typing import Final

import msgspec

from alerts.evaluation import Evaluation, combine
from alerts.machines import events
from alerts.machines.base import MachineContext, RuleType, Seen, Step
from alerts.machines.common import (
    NonNegative,
    RuleName,
    Template,
    check_metric,
    check_template,
)
from alerts.machines.events import EventSpec, check_events
from alerts.snapshot import RuleStates
from lifeline.core.alert import SEVERITY_RANK, AlertCategory, Severity
from lifeline.core.ids import SourceKind

__all__ = [
    "THRESHOLD_FIELDS",
    "TYPE",
    "Direction",
    "Level",
    "ThresholdRule",
    "ThresholdState",
    "current",
    "level_index",
    "update",
]

# Fields a threshold message template may use.
THRESHOLD_FIELDS: Final = frozenset(
    {"source_id", "rule", "metric", "value", "threshold", "severity"}
)


class Direction(enum.StrEnum):
    """``above``: a level is exceeded at value >= level (the level is the first bad value).
    ``below``: a level is exceeded at value < level (the level is the lowest good value,
    as in "indoor temperature must be >= 18 °C")."""

    ABOVE = "above"
    BELOW = "below"


class Level(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    value: float
    severity: Severity


class ThresholdRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="threshold"):
    """A metric against levels, with deadband and delays; optionally also device events
    (``events``), in which case the condition is "threshold exceeded OR event latched"
    and the severity the higher of the two, all in ONE alert."""

    name: RuleName
    kind: SourceKind
    metric: str
    direction: Direction
    levels: list[Level]
    message: Template
    category: AlertCategory = AlertCategory.ALARM
    deadband: NonNegative = 0.0
    on_delay_s: NonNegative = 0.0
    off_delay_s: NonNegative = 0.0
    levels_from_registry: bool = False
    events: EventSpec | None = None
    description: str = ""

    @property
    def on_delay_ms(self) -> int:
        return int(self.on_delay_s * 1000)

    @property
    def off_delay_ms(self) -> int:
        return int(self.off_delay_s * 1000)


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


def _check(rule: ThresholdRule) -> None:
    check_metric(rule.kind, rule.metric)
    if not rule.levels:
        raise ValueError("needs at least one level")
    values = [level.value for level in rule.levels]
    ranks = [SEVERITY_RANK[level.severity] for level in rule.levels]
    worse = values if rule.direction is Direction.ABOVE else [-v for v in values]
    if any(b <= a for a, b in itertools.pairwise(worse)):
        order = "ascending" if rule.direction is Direction.ABOVE else "descending"
        raise ValueError(f"levels must be strictly {order} for direction {rule.direction}")
    if any(b <= a for a, b in itertools.pairwise(ranks)):
        raise ValueError("each further level must have a higher severity")
    if rule.levels_from_registry and not (
        rule.kind is SourceKind.GAS_CHANNEL
        and rule.metric == "lel_pct"
        and rule.direction is Direction.ABOVE
        and len(rule.levels) == 2
    ):
        raise ValueError(
            "levels_from_registry needs kind gas_channel, metric lel_pct, direction above "
            "and exactly two levels (low_pct, high_pct)"
        )
    check_template(rule.message, THRESHOLD_FIELDS)
    if rule.events is not None:
        check_events(rule.kind, rule.events)


class ThresholdMachine:
    """Every ``threshold`` rule. A rule with ``events`` also latches on device events
    (its events part keeps its state in the ``events`` table, under the rule's name),
    and the alert is the two parts combined (``alerts.evaluation.combine``)."""

    def __init__(self, rules: Sequence[ThresholdRule], context: MachineContext) -> None:
        self._context = context
        self._registry = context.registry
        self._by_kind: dict[SourceKind, list[ThresholdRule]] = {}
        for rule in rules:
            self._by_kind.setdefault(rule.kind, []).append(rule)
        self._levels: dict[tuple[str, float, float], ThresholdRule] = {}
        """``levels_from_registry`` rules resolved, by (rule, low_pct, high_pct)."""

    @property
    def kinds(self) -> frozenset[SourceKind]:
        return frozenset(self._by_kind)

    def observe(self, seen: Seen, states: RuleStates) -> Iterator[Step]:
        rules = self._by_kind.get(seen.kind)
        if not rules:
            return
        source, ts = seen.source_id, seen.ts_ms
        for rule in rules:
            value = seen.metrics.get(rule.metric)
            if value is None:
                continue
            table = states.table(TYPE.field, rule.name)
            resolved = self._resolve(rule, source)
            state, evaluation = update(table.get(source), value, ts, resolved, source)
            if evaluation is not None and rule.events is not None:
                other = states.table(events.TYPE.field, rule.name).get(source)
                evaluation = combine(
                    [evaluation, events.current(other, rule.events, rule.name, source)]
                )
            if self._context.to_apply(source, rule.name, evaluation, states):
                yield Step(rule, source, seen.kind, evaluation, ts, table, state)
            elif state is not None:
                table[source] = state
        carried = events.event_types(seen)
        if carried is None:
            return
        types, value, detail = carried
        for rule in rules:
            if rule.events is None:
                continue
            table = states.table(events.TYPE.field, rule.name)
            event_state, evaluation = events.update(
                table.get(source), types, ts, rule.events, rule.name, source, value, detail
            )
            if evaluation is not None:
                other = states.table(TYPE.field, rule.name).get(source)
                evaluation = combine(
                    [evaluation, current(other, self._resolve(rule, source), source)]
                )
            if self._context.to_apply(source, rule.name, evaluation, states):
                yield Step(rule, source, seen.kind, evaluation, ts, table, event_state)
            elif event_state is not None:
                table[source] = event_state

    def _resolve(self, rule: ThresholdRule, source: str) -> ThresholdRule:
        """The rule with the channel's own set-points when ``levels_from_registry``.

        Looked up in the registry at every record, so an administrator's edit applies
        to the next one; the memo is keyed by the set-points themselves (a few distinct
        pairs), never by channel, so it cannot go stale."""
        if not rule.levels_from_registry:
            return rule
        channel = self._registry.channels.get(source)
        if channel is None or not channel.low_pct < channel.high_pct:
            return rule
        key = (rule.name, channel.low_pct, channel.high_pct)
        resolved = self._levels.get(key)
        if resolved is None:
            low, high = rule.levels
            levels = [Level(channel.low_pct, low.severity), Level(channel.high_pct, high.severity)]
            resolved = self._levels[key] = msgspec.structs.replace(rule, levels=levels)
        return resolved


TYPE: Final = RuleType(ThresholdRule, "threshold", ThresholdState, _check, ThresholdMachine)
