"""Station detectors: learned heating curve, burst, Mahalanobis, on simulated stations."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import pytest

from alerts.detectors.base import MultiDetector
from alerts.detectors.domain_common import chi2_isf, chi2_sf
from alerts.detectors.domain_station import (
    Burst,
    CurveState,
    StationMahalanobis,
    UnderHeatingCurve,
)
from tests.detectors.domain_helpers import MIN, T0, rows, simulate

CURVE = ("secondary_supply_temp_c", "outdoor_temp_c")
BURST = ("primary_supply_pressure_mpa", "makeup_water_t")
LOOPS = (
    "primary_supply_temp_c",
    "primary_return_temp_c",
    "primary_supply_pressure_mpa",
    "primary_flow_t_h",
    "secondary_supply_temp_c",
    "secondary_return_temp_c",
    "secondary_supply_pressure_mpa",
    "secondary_flow_t_h",
)


def scores(
    detector: MultiDetector[Any], points: Sequence[tuple[int, Mapping[str, float]]]
) -> list[tuple[int, float]]:
    state = detector.new_state()
    out = []
    for ts, values in points:
        state, verdict = detector.update(state, ts, values)
        out.append((ts, verdict.score))
    return out


def first_at_or_above(points: list[tuple[int, float]], level: float) -> int | None:
    return next((ts for ts, score in points if score >= level), None)


def test_chi_square_tail_matches_known_quantiles() -> None:
    assert chi2_sf(3.841, 1) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(5.991, 2) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(11.07, 5) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf(20.09, 8) == pytest.approx(0.01, abs=1e-4)
    assert chi2_isf(0.01, 8) == pytest.approx(20.09, abs=0.01)


@pytest.mark.parametrize("station", ["HEAT-001-S01", "HEAT-002-S02", "HEAT-005-S01"])
def test_station_detectors_are_quiet_on_a_clean_simulated_day(station: str) -> None:
    records = simulate(station, 24)
    assert max(s for _, s in scores(UnderHeatingCurve(CURVE), rows(records, CURVE))) < 0.5
    assert max(s for _, s in scores(Burst(BURST), rows(records, BURST))) < 0.5
    loops = scores(StationMahalanobis(LOOPS), rows(records, LOOPS))
    runs = [a >= 0.999999 and b >= 0.999999 for (_, a), (_, b) in itertools.pairwise(loops)]
    assert not any(runs)  # never two records in a row past the rule's threshold


def test_heating_curve_is_learned_from_the_stations_own_data() -> None:
    records = simulate("HEAT-003-S01", 24)
    detector = UnderHeatingCurve(CURVE)
    state = detector.new_state()
    for ts, values in rows(records, CURVE):
        state, _ = detector.update(state, ts, values)
    a, b = detector.curve(state)
    assert b == pytest.approx(-0.8, abs=0.15)  # simulator: 50 − 0.8 × outdoor + bias
    assert a == pytest.approx(50.0, abs=1.5)
    restored = msgspec.msgpack.decode(msgspec.msgpack.encode(state), type=CurveState)
    assert detector.curve(restored) == (a, b)


def test_under_heating_is_caught_within_ten_minutes_long_before_indoor_drops() -> None:
    records = simulate("HEAT-002-S01", 3, ["under_heating:HEAT-002-S01@+90m"])
    caught = first_at_or_above(scores(UnderHeatingCurve(CURVE), rows(records, CURVE)), 0.5)
    assert caught is not None
    assert 0 < caught - (T0 + 90 * MIN) <= 10 * MIN


def test_pipe_burst_is_caught_at_the_first_record_after_it() -> None:
    records = simulate("HEAT-001-S01", 2, ["station_pipe_burst:HEAT-001-S01@+60m"])
    points = rows(records, BURST)
    caught = first_at_or_above(scores(Burst(BURST), points), 0.5)
    first_after = next(ts for ts, _ in points if ts >= T0 + 60 * MIN)
    assert caught == first_after


def test_a_pressure_drop_without_make_up_water_is_not_a_burst() -> None:
    detector = Burst(BURST)
    state = detector.new_state()
    makeup = 100.0
    for i in range(60):
        makeup += 0.002
        pressure = 0.9 if i < 40 else 0.5  # a set-point change, no water lost
        state, verdict = detector.update(
            state, T0 + i * MIN, {BURST[0]: pressure, BURST[1]: makeup}
        )
        assert verdict.score < 0.5


def test_a_pump_trip_moves_the_station_far_from_its_normal() -> None:
    records = simulate("HEAT-004-S01", 3)
    points = rows(records, LOOPS)
    tripped = [
        (ts, {**values, "secondary_flow_t_h": 0.05 * values["secondary_flow_t_h"]})
        for ts, values in points[150:]
    ]
    result = scores(StationMahalanobis(LOOPS), points[:150] + tripped)
    assert max(s for _, s in result[:150]) < 0.999999
    assert all(s >= 0.999999 for _, s in result[150:155])


def test_multivariate_detector_checks_its_metrics() -> None:
    with pytest.raises(ValueError, match="at least two"):
        StationMahalanobis(("primary_flow_t_h",))
    with pytest.raises(ValueError, match="exactly two"):
        Burst(("primary_supply_pressure_mpa",))
