"""Stuck-sensor state machine: a value that does not move.

Pure: ``update(state, value, ts_ms, rule, source_id) -> (state, evaluation)``.
A run starts at a value; each following record within ``tolerance`` of the run's
first value extends it. The condition holds once the run has ``rule.records`` records
AND spans ``rule.duration_s``; it clears at the first record outside the tolerance.
Values at or below ``ignore_at_or_below`` end the run and never start one.
A record not newer than the last one seen is ignored (``None`` evaluation): a run is a
stretch of event time, and a late record can neither extend it (it may be a redelivery)
nor break it (a late record never clears). Late leak readings raise through the
threshold rule, not here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Final

import msgspec
from msgspec import Meta

from alerts.evaluation import Evaluation
from alerts.machines.base import MachineContext, RuleType, Seen, Step
from alerts.machines.common import NonNegative, RuleName, Template, check_metric, check_template
from alerts.snapshot import RuleStates
from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.ids import SourceKind

__all__ = ["STUCK_FIELDS", "TYPE", "StuckRule", "StuckState", "update"]

# Fields a stuck message template may use.
STUCK_FIELDS: Final = frozenset({"source_id", "rule", "metric", "value", "duration_s", "records"})


class StuckRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="stuck"):
    """A value unchanged (|value - first value of the run| <= tolerance) for at least
    ``records`` consecutive records AND ``duration_s`` of event time. Values at or
    below ``ignore_at_or_below`` never count (a gas detector in clean air reads 0)."""

    name: RuleName
    kind: SourceKind
    metric: str
    records: Annotated[int, Meta(ge=2)]
    message: Template
    duration_s: NonNegative = 0.0
    tolerance: NonNegative = 0.0
    ignore_at_or_below: float | None = None
    severity: Severity = Severity.WARNING
    category: AlertCategory = AlertCategory.FAULT
    description: str = ""

    @property
    def duration_ms(self) -> int:
        return int(self.duration_s * 1000)


class StuckState(msgspec.Struct, frozen=True):
    last_ts_ms: int
    ref_value: float
    since_ms: int
    records: int  # records in the run (0 = no run: ignored value)
    active: bool = False


def update(
    state: StuckState | None, value: float, ts_ms: int, rule: StuckRule, source_id: str
) -> tuple[StuckState | None, Evaluation | None]:
    if state is not None and ts_ms <= state.last_ts_ms:
        return state, None
    counts = rule.ignore_at_or_below is None or value > rule.ignore_at_or_below
    if (
        state is None
        or state.records == 0
        or not counts
        or abs(value - state.ref_value) > rule.tolerance
    ):
        return StuckState(ts_ms, value, ts_ms, 1 if counts else 0), Evaluation(False, value=value)
    records = state.records + 1
    duration_ms = ts_ms - state.since_ms
    active = records >= rule.records and duration_ms >= rule.duration_ms
    new = StuckState(ts_ms, state.ref_value, state.since_ms, records, active)
    if not active:
        return new, Evaluation(False, value=value)
    message = rule.message.format(
        source_id=source_id,
        rule=rule.name,
        metric=rule.metric,
        value=value,
        duration_s=duration_ms / 1000,
        records=records,
    )
    return new, Evaluation(True, rule.severity, value=value, message=message)


class StuckMachine:
    """Every ``stuck`` rule: one run per (rule, source)."""

    def __init__(self, rules: Sequence[StuckRule], context: MachineContext) -> None:
        self._context = context
        self._by_kind: dict[SourceKind, list[StuckRule]] = {}
        for rule in rules:
            self._by_kind.setdefault(rule.kind, []).append(rule)

    @property
    def kinds(self) -> frozenset[SourceKind]:
        return frozenset(self._by_kind)

    def observe(self, seen: Seen, states: RuleStates) -> Iterator[Step]:
        for rule in self._by_kind.get(seen.kind, ()):
            value = seen.metrics.get(rule.metric)
            if value is None:
                continue
            table = states.table(TYPE.field, rule.name)
            source = seen.source_id
            state, evaluation = update(table.get(source), value, seen.ts_ms, rule, source)
            if self._context.to_apply(source, rule.name, evaluation, states):
                yield Step(rule, source, seen.kind, evaluation, seen.ts_ms, table, state)
            elif state is not None:
                table[source] = state


def _check(rule: StuckRule) -> None:
    check_metric(rule.kind, rule.metric)
    check_template(rule.message, STUCK_FIELDS)


TYPE: Final = RuleType(StuckRule, "stuck", StuckState, _check, StuckMachine)
