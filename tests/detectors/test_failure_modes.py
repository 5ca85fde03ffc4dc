"""Failure modes issue 14 saw on unseen data, each as a synthetic series."""

from __future__ import annotations

import msgspec
import numpy as np

from alerts.detectors.components import combined_detector
from alerts.detectors.config import AnomalyConfig
from tests.detectors.conftest import T0, times

N = 2000


def _alerts(cfg: AnomalyConfig, x: np.ndarray, ts: np.ndarray | None = None) -> list[int]:
    ts = times(len(x)) if ts is None else ts
    return np.flatnonzero(combined_detector(cfg).scores(ts, x) >= cfg.threshold).tolist()


def test_a_slow_drift_inside_the_all_time_range_is_caught(cfg: AnomalyConfig) -> None:
    x = 50.0 + np.random.default_rng(7).normal(0.0, 1.0, N)
    x[300:310] -= 12.0  # an early excursion: the range now spans far more than the drift
    at = 1200
    x[at : at + 200] -= np.linspace(0.0, 5.0, 200)  # 5 sigma down over 200 records
    x[at + 200 :] -= 5.0
    assert x[at:].min() > x[:at].min()  # never a new extreme
    hits = _alerts(cfg, x)
    assert [h for h in hits if h < at] in ([300], [301], [302])  # the excursion, nothing else
    assert any(at < h < at + 200 for h in hits)


def test_the_same_series_scores_the_same_at_1_s_1_min_5_min_and_with_gaps(
    cfg: AnomalyConfig,
) -> None:
    cfg = msgspec.structs.replace(cfg, season_min_records=10**9)  # no clock-time profile
    x = 50.0 + np.random.default_rng(3).normal(0.0, 1.0, N)
    x[1500] += 15.0
    steps = np.random.default_rng(4).choice([1, 1, 1, 2, 30], size=N)  # irregular, gappy
    reference = combined_detector(cfg).scores(times(N), x)
    assert np.flatnonzero(reference >= cfg.threshold).tolist() == [1500]
    for ts in (
        T0 + 1_000 * np.arange(N),
        T0 + 60_000 * np.arange(N),
        T0 + 300_000 * np.cumsum(steps),
        T0 + 1_000 * np.r_[np.arange(16), 86_400 + np.arange(N - 16)],  # a day's gap early
    ):
        np.testing.assert_array_equal(
            combined_detector(cfg).scores(ts.astype(np.int64), x), reference
        )


def test_a_false_alarms_cool_down_does_not_swallow_a_far_stronger_anomaly(
    cfg: AnomalyConfig,
) -> None:
    x = 50.0 + np.random.default_rng(5).normal(0.0, 1.0, N)
    x[1000] += 7.0  # a modest blip that alerts
    x[1030:1040] += 40.0  # 30 records later, within the cool-down: a real, far bigger one
    hits = _alerts(cfg, x)
    assert 1000 in hits
    assert any(1030 <= h < 1040 for h in hits)
    assert cfg.cooldown_records > 30


def test_an_anomaly_that_builds_up_alerts_once(cfg: AnomalyConfig) -> None:
    x = 50.0 + np.random.default_rng(6).normal(0.0, 1.0, N)
    x[1000:1100] += np.linspace(0.0, 60.0, 100)  # its surprise grows record by record
    x[1100:] += 60.0
    hits = _alerts(cfg, x)
    assert len([h for h in hits if 1000 <= h < 1000 + cfg.cooldown_records]) == 1
