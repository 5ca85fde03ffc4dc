"""The stuck-sensor machine."""

from __future__ import annotations

from alerts.evaluation import Evaluation
from alerts.machines.stuck import StuckRule, StuckState, update
from lifeline.core.ids import SourceKind

RULE = StuckRule(
    name="gas_stuck",
    kind=SourceKind.GAS_CHANNEL,
    metric="lel_pct",
    records=4,
    duration_s=30,
    tolerance=0.1,
    ignore_at_or_below=0.0,
    message="{source_id} stuck at {value} for {duration_s:.0f} s ({records})",
)


def run(points: list[tuple[int, float]]) -> list[Evaluation | None]:
    state: StuckState | None = None
    out = []
    for ts, value in points:
        state, evaluation = update(state, value, ts, RULE, "GAS-0001")
        out.append(evaluation)
    return out


def flags(evaluations: list[Evaluation | None]) -> list[bool | None]:
    return [None if e is None else e.active for e in evaluations]


def test_value_unchanged_for_enough_records_and_time_is_stuck() -> None:
    evaluations = run([(i * 10_000, 3.0 + (0.05 if i % 2 else 0)) for i in range(5)])
    assert flags(evaluations) == [False, False, False, True, True]
    last = evaluations[-1]
    assert last is not None
    assert last.message == "GAS-0001 stuck at 3.0 for 40 s (5)"


def test_enough_records_but_too_short_a_time_is_not_stuck() -> None:
    assert flags(run([(i * 1000, 3.0) for i in range(10)])) == [False] * 10


def test_first_change_clears_stuck() -> None:
    evaluations = run([(i * 10_000, 3.0) for i in range(5)] + [(60_000, 3.5)])
    assert flags(evaluations)[-2:] == [True, False]


def test_ignored_values_never_count_as_stuck() -> None:
    assert flags(run([(i * 10_000, 0.0) for i in range(20)])) == [False] * 20


def test_duplicate_timestamps_do_not_extend_the_run() -> None:
    evaluations = run([(0, 3.0), (10_000, 3.0), (10_000, 3.0), (10_000, 3.0), (20_000, 3.0)])
    assert flags(evaluations) == [False, False, None, None, False]
