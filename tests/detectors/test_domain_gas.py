"""Gas detectors: rate of rise, baseline drift and stuck value on textbook and clean data."""

from __future__ import annotations

import random

import msgspec

from alerts.detectors.domain_gas import (
    BaselineDrift,
    RateOfRise,
    RiseState,
    StuckValue,
    StuckValueConfig,
)
from tests.detectors.domain_helpers import HOUR, MIN, T0, series, simulate

STEP = 45_000  # a networked detector reports every 30-60 s


def noisy_baseline(n: int, seed: int = 1, level: float = 1.0) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    wander, out = 0.0, []
    for i in range(n):
        wander = 0.9 * wander + rng.gauss(0, 0.06)
        out.append((T0 + i * STEP, round(abs(level + wander + rng.gauss(0, 0.1)), 2)))
    return out


def test_rate_of_rise_warns_of_a_leak_long_before_the_low_set_point() -> None:
    detector = RateOfRise()
    state = detector.new_state()
    clean = noisy_baseline(200)
    for ts, value in clean:
        state, verdict = detector.update(state, ts, value)
        assert verdict.score < 0.5
    start = clean[-1][0]
    for i in range(1, 40):  # a leak rising 1.5 %LEL/min, readings every 30 s
        ts, value = start + i * 30_000, 1.0 + 0.75 * i
        state, verdict = detector.update(state, ts, value)
        if verdict.score >= 0.5:
            break
    assert verdict.score >= 0.5
    assert value < 6.0  # far below the 20 %LEL alarm level
    assert verdict.expected_high is not None
    assert verdict.observed > verdict.expected_high
    assert "%LEL/min" in verdict.reason


def test_one_spiking_reading_is_not_a_rate_of_rise() -> None:
    detector = RateOfRise()
    state = detector.new_state()
    points = noisy_baseline(120)
    points[100] = (points[100][0], 9.0)  # one bad reading (cooking fumes, RF glitch)
    scores = []
    for ts, value in points:
        state, verdict = detector.update(state, ts, value)
        scores.append(verdict.score)
    assert max(scores) < 0.5


def test_rate_of_rise_and_drift_are_quiet_on_a_simulated_day_of_clean_channels() -> None:
    for channel in ("GAS-0001", "GAS-0007", "GAS-0042"):
        points = series(simulate(channel, 24), "lel_pct")
        assert len(points) > 1000
        for detector in (RateOfRise(), BaselineDrift()):
            state = detector.new_state()
            worst = 0.0
            for ts, value in points:
                state, verdict = detector.update(state, ts, value)  # type: ignore[arg-type]
                worst = max(worst, verdict.score)
            assert worst < 0.5, (channel, detector.name, worst)


def test_baseline_drift_of_two_pct_per_hour_is_caught_within_two_hours() -> None:
    records = simulate("GAS-0002", 8, ["sensor_drift:GAS-0002@+3h,rate_pct_per_h=2"])
    detector = BaselineDrift()
    state = detector.new_state()
    caught = None
    for ts, value in series(records, "lel_pct"):
        state, verdict = detector.update(state, ts, value)
        if verdict.score >= 0.5 and caught is None:
            caught = ts, value
    assert caught is not None
    drift_start = T0 + 3 * HOUR
    assert drift_start < caught[0] <= drift_start + 2 * HOUR
    assert caught[1] < 8.0  # the 20 %LEL threshold is hours away


def test_baseline_drift_says_nothing_while_warming_up() -> None:
    detector = BaselineDrift()
    state = detector.new_state()
    for i in range(100):  # steep, but within the first 2 h
        state, verdict = detector.update(state, T0 + i * MIN, 1.0 + 0.1 * i)
        assert verdict.score == 0.0


def test_stuck_value_scores_half_at_the_configured_run_and_ignores_clean_air_zero() -> None:
    detector = StuckValue(StuckValueConfig(records=5))
    state = detector.new_state()
    scores = []
    for i, value in enumerate([1.2, 1.3, 1.3, 1.3, 1.3, 1.3, 1.3]):
        state, verdict = detector.update(state, T0 + i * MIN, value)
        scores.append(verdict.score)
    assert scores[5] == 0.5  # five identical readings
    assert scores[4] < 0.5
    assert scores[6] > 0.5
    state, verdict = detector.update(state, T0 + 10 * MIN, 1.31)
    assert verdict.score == 0.0  # moved again
    for i in range(20):
        state, verdict = detector.update(state, T0 + (11 + i) * MIN, 0.0)
    assert verdict.score == 0.0


def test_stuck_sensor_scenario_is_caught_within_fifteen_minutes() -> None:
    records = simulate("GAS-0003", 2, ["stuck_sensor:GAS-0003@+30m"])
    detector = StuckValue(StuckValueConfig(records=15))
    state = detector.new_state()
    caught = None
    for ts, value in series(records, "lel_pct"):
        state, verdict = detector.update(state, ts, value)
        if verdict.score >= 0.5 and caught is None:
            caught = ts
        if ts < T0 + 30 * MIN:
            assert verdict.score < 0.5
    assert caught is not None
    assert caught - (T0 + 30 * MIN) <= 15 * MIN


def test_rise_state_survives_a_msgpack_round_trip_mid_series() -> None:
    detector = RateOfRise()
    points = noisy_baseline(60) + [(T0 + 60 * STEP + i * 30_000, 1 + i) for i in range(1, 6)]
    state = detector.new_state()
    verdicts = []
    for i, (ts, value) in enumerate(points):
        if i == 40:
            state = msgspec.msgpack.decode(msgspec.msgpack.encode(state), type=RiseState)
        state, verdict = detector.update(state, ts, value)
        verdicts.append(verdict)
    straight = detector.new_state()
    for i, (ts, value) in enumerate(points):
        straight, verdict = detector.update(straight, ts, value)
        assert verdict == verdicts[i]
    assert len(msgspec.msgpack.encode(state)) < 300  # compact


def test_simulated_leak_ramp_is_a_rate_of_rise_below_20_and_not_a_drift() -> None:
    records = simulate("GAS-0001", 5, ["gas_leak_ramp:GAS-0001@+3h"])
    rise, drift = RateOfRise(), BaselineDrift()
    rise_state, drift_state = rise.new_state(), drift.new_state()
    warned_at = None
    for ts, value in series(records, "lel_pct"):
        rise_state, verdict = rise.update(rise_state, ts, value)
        if verdict.score >= 0.5 and warned_at is None:
            warned_at = value
        drift_state, drift_verdict = drift.update(drift_state, ts, value)
        assert drift_verdict.score < 0.5  # a leak restarts the drift line, it is no drift
    assert warned_at is not None
    assert warned_at < 20.0  # before the first-level alarm set-point
