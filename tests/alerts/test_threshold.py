"""The threshold machine: levels, deadband, delays, escalation, late records."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from alerts.evaluation import Evaluation
from alerts.machines.threshold import Direction, Level, ThresholdRule, ThresholdState, update
from lifeline.core.alert import Severity
from lifeline.core.ids import SourceKind

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


def test_late_records_never_clear_or_deescalate() -> None:
    state, evaluations = run(lel_rule(), [(10 * S, 60), (5 * S, 0), (10 * S, 0), (6 * S, 25)])
    assert evaluations[1:] == [None, None, None]
    assert state is not None
    assert state.active
    assert state.last_value == 60
    assert state.level == 1


def test_a_future_skewed_record_does_not_hide_a_leak() -> None:
    # a clock 290 s ahead, then real-time leak readings: all "late", all raise
    skewed = 290 * S
    state, evaluations = run(lel_rule(), [(skewed, 1), (0, 75), (1 * S, 75), (2 * S, 75)])
    raised = evaluations[1]
    assert raised is not None
    assert raised.active
    assert raised.severity is Severity.CRITICAL
    assert raised.value == 75
    assert raised.threshold == 50
    assert evaluations[2:] == [None, None]  # no worse: repeats are the newest records'
    assert state is not None
    assert state.last_ts_ms == skewed
    # the first newer record decides: still leaking, then clean air clears
    state, still = update(state, 75, skewed + 10 * S, lel_rule(), "GAS-0001")
    assert still is not None
    assert still.active
    state, cleared = update(state, 0, skewed + 20 * S, lel_rule(), "GAS-0001")
    assert cleared is not None
    assert not cleared.active


def test_late_record_escalates_an_active_condition() -> None:
    state, evaluations = run(lel_rule(), [(10 * S, 25), (5 * S, 60)])
    escalated = evaluations[1]
    assert escalated is not None
    assert escalated.severity is Severity.CRITICAL
    assert escalated.value == 60
    assert state is not None
    assert state.last_ts_ms == 10 * S
    # only the newest may de-escalate: the next newer record at 25 goes back to major
    _, back = update(state, 25, 11 * S, lel_rule(), "GAS-0001")
    assert back is not None
    assert back.severity is Severity.MAJOR


def test_late_record_inside_the_deadband_raises_nothing() -> None:
    # 19 holds an active level (deadband 2) but does not enter one
    state, evaluations = run(lel_rule(), [(10 * S, 1), (5 * S, 19)])
    assert evaluations[1] is None
    assert state is not None
    assert not state.active


def test_late_run_raises_after_the_on_delay_of_its_own_event_time() -> None:
    rule = lel_rule(on_delay_s=60)
    newest = 600 * S
    state, evaluations = run(rule, [(newest, 1), (100 * S, 30), (130 * S, 30), (160 * S, 30)])
    assert evaluations[1:3] == [None, None]
    raised = evaluations[3]
    assert raised is not None
    assert raised.active
    assert raised.severity is Severity.MAJOR
    assert state is not None
    assert (state.late_since_ms, state.late_until_ms) == (None, None)


def test_late_run_is_broken_by_a_late_clean_record() -> None:
    rule = lel_rule(on_delay_s=60)
    points = [(600 * S, 1), (100 * S, 30), (130 * S, 1), (140 * S, 30), (180 * S, 30)]
    state, evaluations = run(rule, points)
    assert evaluations[1:] == [None, None, None, None]
    assert state is not None
    assert not state.active
    assert (state.late_since_ms, state.late_until_ms) == (140 * S, 180 * S)


def test_state_of_an_older_snapshot_without_late_fields_still_decodes() -> None:
    old = msgspec.msgpack.encode({"last_ts_ms": 3, "last_value": 25.0, "active": True, "level": 0})
    state = msgspec.msgpack.decode(old, type=ThresholdState)
    assert state == ThresholdState(3, 25.0, active=True, level=0)
    assert (state.late_since_ms, state.late_until_ms) == (None, None)


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
