"""Meter detectors: continuous flow and micro leak, from interval volumes only."""

from __future__ import annotations

from alerts.detectors.domain_meter import (
    ContinuousFlow,
    ContinuousFlowConfig,
    MicroLeak,
    night_ms,
)
from lifeline.core.records import Record
from tests.detectors.domain_helpers import HOUR, T0, series, simulate

# T0 is 12:00 local; LOCAL_MIDNIGHT is the next 00:00 local.
LOCAL_MIDNIGHT = T0 + 12 * HOUR


def hourly(
    flows: list[float], start_ms: int = T0, volume: float = 100.0
) -> list[tuple[int, float]]:
    """Cumulative volumes at the end of each hour of ``flows`` (m³/h)."""
    out = [(start_ms, volume)]
    for i, flow in enumerate(flows):
        volume += flow
        out.append((start_ms + (i + 1) * HOUR, round(volume, 3)))
    return out


def run(detector: ContinuousFlow | MicroLeak, points: list[tuple[int, float]]) -> list[float]:
    state = detector.new_state()
    scores = []
    for ts, volume in points:
        state, verdict = detector.update(state, ts, volume)  # type: ignore[arg-type]
        scores.append(verdict.score)
    return scores


def meter_volumes(records: list[Record]) -> list[tuple[int, float]]:
    return series(records, "volume_m3")


def test_night_window_counts_local_hours() -> None:
    assert night_ms(LOCAL_MIDNIGHT - HOUR, LOCAL_MIDNIGHT + HOUR, 0.0, 5.0, 8.0) == HOUR
    assert night_ms(LOCAL_MIDNIGHT - 2 * HOUR, LOCAL_MIDNIGHT, 23.0, 5.0, 8.0) == HOUR


def test_gas_flowing_from_the_evening_through_midnight_is_continuous_flow() -> None:
    # 12:00 .. 06:00 local: normal daytime use, then a stove left on from 20:00 (0.12 m³/h)
    day = [0.05, 0.03, 0.02, 0.02, 0.02, 0.1, 0.2, 0.1]  # 12:00-20:00
    leak = [0.12 + x for x in [0.05, 0.02, 0.01]] + [0.12] * 7  # 20:00-06:00
    scores = run(ContinuousFlow(), hourly(day + leak))
    first = next(i for i, s in enumerate(scores) if s >= 0.5)
    assert T0 + first * HOUR == LOCAL_MIDNIGHT + HOUR  # 01:00 local: 2 h of night
    assert scores[first - 1] < 0.5


def test_a_household_that_stops_at_night_never_scores() -> None:
    for meter in ("MTR-00000001", "MTR-00000002", "MTR-00000003", "MTR-00000004"):
        points = meter_volumes(simulate(meter, 72))
        assert len(points) > 60
        assert max(run(ContinuousFlow(), points)) < 0.5
        assert max(run(MicroLeak(), points)) < 0.5


def test_meter_continuous_flow_scenario_is_seen_in_the_interval_readings() -> None:
    # a leak from 20:00 local (offset 8 h from 12:00), no alarm flag at all
    records = simulate(
        "MTR-00000005", 40, ["meter_continuous_flow:MTR-00000005@+8h~forever,alarm_after_h=1000"]
    )
    assert not [r for r in records if r.body.alarms]  # type: ignore[union-attr]
    points = meter_volumes(records)
    scores = run(ContinuousFlow(), points)
    caught = next(ts for (ts, _), s in zip(points, scores, strict=True) if s >= 0.5)
    assert caught == LOCAL_MIDNIGHT + HOUR


def test_a_gap_or_a_volume_going_backwards_restarts_the_run() -> None:
    config = ContinuousFlowConfig(hours=3, night_hours=0.5)
    points = hourly([0.1] * 12, start_ms=LOCAL_MIDNIGHT - 6 * HOUR)
    broken = [*points[:6], (points[6][0], 1.0), *[(t, v - 200) for t, v in points[7:]]]
    assert max(run(ContinuousFlow(config), points)) >= 0.5
    scores = run(ContinuousFlow(config), broken)
    assert scores[6] == 0.0
    assert scores[7] == 0.0
    gap = [*points[:5], *points[9:]]  # 4 h without readings
    assert run(ContinuousFlow(config), gap)[5] == 0.0


def test_a_small_steady_night_flow_is_a_micro_leak() -> None:
    evening = [0.1, 0.2, 0.1, 0.05, 0.03, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # 12:00-24:00
    night = [0.012, 0.011, 0.012, 0.013, 0.012]  # 00:00-05:00
    scores = run(MicroLeak(), hourly(evening + night))
    assert scores[12 + 2] < 0.5  # two night hours: not yet
    assert scores[12 + 3] >= 0.5  # three: a leak downstream


def test_night_use_above_the_band_or_unsteady_is_not_a_micro_leak() -> None:
    evening = [0.0] * 12
    assert max(run(MicroLeak(), hourly([*evening, 0.2, 0.3, 0.2, 0.25, 0.2]))) < 0.5
    assert max(run(MicroLeak(), hourly([*evening, 0.006, 0.045, 0.006, 0.045, 0.006]))) < 0.5


def test_night_time_is_the_exact_overlap_with_each_days_window() -> None:
    """The computed overlap equals a minute-by-minute count, across midnight and days."""
    import random

    from alerts.detectors.domain_common import local_hour
    from alerts.detectors.domain_meter import night_ms

    def counted(begin: int, end: int, start: float, stop: float) -> int:
        total, t = 0, begin
        while t < end:
            hour = local_hour(t + 30_000, 8.0)
            inside = start <= hour < stop if start <= stop else hour >= start or hour < stop
            total += 60_000 if inside else 0
            t += 60_000
        return total

    rng = random.Random(7)
    for _ in range(300):
        begin = rng.randrange(0, 10**12) // 60_000 * 60_000
        end = begin + rng.choice([15, 60, 180, 1440, 2000]) * 60_000
        start, stop = rng.choice([(0.0, 5.0), (23.0, 5.0), (22.0, 6.0)])
        assert night_ms(begin, end, start, stop, 8.0) == counted(begin, end, start, stop)
