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

import msgspec

from alerts.evaluation import Evaluation
from alerts.rules import StuckRule

__all__ = ["StuckState", "update"]


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
