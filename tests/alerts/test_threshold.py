"""The threshold machine: levels, deadband, delays, escalation, late records."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.evaluation import Evaluation
from alerts.rules import Direction, Level, ThresholdRule
from alerts.threshold import ThresholdState, update
from lifeline.alert import Severity
from lifeline.ids import SourceKind

S = 1000


def lel_rule(**overrides: object) -> ThresholdRule:
    base: dict[str, object] = {
        "name": "gas_leak",
        "kind": SourceKind.GAS_CHANNEL,
        "metric": "lel_pct",
        "direction": Direction.ABOVE,
        "levels": [Level(20, Severity.MAJOR), Level(50, Severity.CRITICAL)],
        "message": "{source_id} {value:.0f} >= {threshold:g} {severity}",
        "deadband": 2.0,
    }
    base.update(overrides)
    return ThresholdRule(**base)  # type: ignore[arg-type]


def run(
    rule: ThresholdRule, points: Sequence[tuple[int, float]]
) -> tuple[ThresholdState | None, list[Evaluation | None]]:
    state: ThresholdState | None = None
    out: list[Evaluation | None] = []
    for ts, value in points:
        state, evaluation = update(state, value, ts, rule, "GAS-0001")
        out.append(evaluation)
    return state, out


def active(evaluations: list[Evaluation | None]) -> list[bool | None]:
    return [None if e is None else e.active for e in evaluations]


def test_first_reading_over_the_low_level_is_active_at_its_severity() -> None:
    _, (evaluation,) = run(lel_rule(), [(0, 25.0)])
    assert evaluation is not None
    assert evaluation.active
    assert evaluation.severity is Severity.MAJOR
    assert evaluation.threshold == 20
    assert evaluation.message == "GAS-0001 25 >= 20 major"


def test_value_exactly_at_an_above_level_trips_it() -> None:
    _, evaluations = run(lel_rule(), [(0, 20.0)])
    assert active(evaluations) == [True]


def test_deadband_holds_the_condition_until_value_is_below_level_minus_deadband() -> None:
    _, evaluations = run(lel_rule(), [(0, 21), (S, 19), (2 * S, 18.0), (3 * S, 17.9)])
    assert active(evaluations) == [True, True, True, False]


def test_escalates_and_deescalates_inside_one_condition() -> None:
    _, evaluations = run(lel_rule(), [(0, 25), (S, 60), (2 * S, 49), (3 * S, 47.9), (4 * S, 30)])
    severities = [e.severity if e else None for e in evaluations]
    assert severities == [
        Severity.MAJOR,
        Severity.CRITICAL,
        Severity.CRITICAL,  # 49 is inside the critical level's deadband (50 - 2)
        Severity.MAJOR,
        Severity.MAJOR,
    ]
    assert all(e is not None and e.active for e in evaluations)


def test_on_delay_raises_only_after_the_condition_held_long_enough() -> None:
    rule = lel_rule(on_delay_s=30)
    _, evaluations = run(rule, [(0, 25), (10 * S, 25), (29 * S, 25), (30 * S, 25)])
    assert active(evaluations) == [False, False, False, True]


def test_on_delay_restarts_when_the_condition_breaks() -> None:
    rule = lel_rule(on_delay_s=30)
    _, evaluations = run(rule, [(0, 25), (20 * S, 5), (25 * S, 25), (50 * S, 25), (55 * S, 25)])
    assert active(evaluations) == [False, False, False, False, True]


def test_off_delay_keeps_the_condition_until_it_stayed_clear_long_enough() -> None:
    rule = lel_rule(off_delay_s=60)
    points = [(0, 25), (10 * S, 5), (40 * S, 5), (50 * S, 25), (60 * S, 5), (120 * S, 5)]
    _, evaluations = run(rule, points)
    assert active(evaluations) == [True, True, True, True, True, False]


def test_records_not_newer_than_the_last_one_are_ignored() -> None:
    state, evaluations = run(lel_rule(), [(10 * S, 60), (5 * S, 0), (10 * S, 0)])
    assert evaluations[1] is None
    assert evaluations[2] is None
    assert state is not None
    assert state.active
    assert state.last_value == 60


def test_below_rule_trips_under_the_level_and_clears_above_level_plus_deadband() -> None:
    rule = ThresholdRule(
        name="station_underheating",
        kind=SourceKind.STATION,
        metric="indoor_temp_c",
        direction=Direction.BELOW,
        levels=[Level(18, Severity.MINOR)],
        message="{value}",
        deadband=0.5,
    )
    _, evaluations = run(rule, [(0, 18.0), (S, 17.9), (2 * S, 18.5), (3 * S, 18.6)])
    assert active(evaluations) == [False, True, True, False]


def test_oscillation_within_the_deadband_never_leaves_the_condition() -> None:
    points = [(i * S, 21.0 if i % 2 == 0 else 18.5) for i in range(1000)]
    _, evaluations = run(lel_rule(), points)
    assert all(e is not None and e.active for e in evaluations)
