"""Each component catches its textbook anomaly and stays quiet on clean noise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np
import pytest

from alerts.detectors.components import (
    combined_detector,
    level_shift_detector,
    range_detector,
    rate_detector,
    spike_detector,
    stuck_detector,
)
from alerts.detectors.config import AnomalyConfig
from tests.detectors.conftest import DAY, daily, noise, times

N = 5 * DAY
AT = 4 * DAY  # anomaly position, well after warm-up

Factory = Callable[[AnomalyConfig], Any]


def _alerts(factory: Factory, cfg: AnomalyConfig, x: np.ndarray) -> np.ndarray:
    return np.flatnonzero(factory(cfg).scores(times(len(x)), x) >= cfg.threshold)


@pytest.mark.parametrize(
    "factory",
    [
        spike_detector,
        level_shift_detector,
        rate_detector,
        stuck_detector,
        range_detector,
        combined_detector,
    ],
)
def test_clean_noise_raises_nothing(factory: Factory, cfg: AnomalyConfig) -> None:
    assert len(_alerts(factory, cfg, noise(N))) == 0


def test_spike_detector_catches_a_spike_at_once(cfg: AnomalyConfig) -> None:
    x = noise(N)
    x[AT] += 15.0
    assert list(_alerts(spike_detector, cfg, x)) == [AT]


def test_level_shift_detector_catches_a_step_within_an_hour(cfg: AnomalyConfig) -> None:
    x = noise(N)
    x[AT:] += 4.0  # 4 sigma: each point alone is unremarkable
    hits = _alerts(level_shift_detector, cfg, x)
    assert len(hits) >= 1
    assert AT <= hits[0] < AT + 12


def test_rate_detector_catches_a_fast_rise(cfg: AnomalyConfig) -> None:
    x = noise(N)
    x[AT:] += np.minimum(np.arange(1, N - AT + 1) * 20.0, 60.0)
    hits = _alerts(rate_detector, cfg, x)
    assert len(hits) >= 1
    assert hits[0] == AT


def test_stuck_detector_catches_a_frozen_sensor(cfg: AnomalyConfig) -> None:
    x = noise(N)
    x[AT:] = x[AT]
    hits = _alerts(stuck_detector, cfg, x)
    assert len(hits) == 1
    assert AT < hits[0] < AT + 24


def test_range_detector_catches_a_value_beyond_all_earlier_ones(cfg: AnomalyConfig) -> None:
    x = noise(N)
    lo, hi = float(x[:AT].min()), float(x[:AT].max())
    x[AT] = hi + 0.25 * (hi - lo)  # 25 % of the range above the highest value so far
    hits = _alerts(range_detector, cfg, x)
    assert list(hits) == [AT]


def test_range_is_not_scored_while_it_is_young(cfg: AnomalyConfig) -> None:
    x = noise(N)
    early = DAY + 10  # after learning, before range_learn_records of history
    x[early] = x[:early].max() + 0.5 * np.ptp(x[:early])
    det = range_detector(cfg)
    assert det.scores(times(N), x)[early] == 0.0
    assert cfg.learn_records < early < cfg.range_learn_records  # the range is still learning


def test_combined_alerts_on_a_new_high_that_is_no_spike_for_the_baseline(
    cfg: AnomalyConfig,
) -> None:
    cfg = msgspec.structs.replace(cfg, cooldown_records=0)  # judge this record alone
    x = 50.0 + 10.0 * np.random.default_rng(5).standard_t(2, N)  # heavy tails: big z is common
    hi, lo = float(x[:AT].max()), float(x[:AT].min())
    x[AT] = hi + 0.3 * (hi - lo)
    ts = times(N)
    without = combined_detector(msgspec.structs.replace(cfg, range_margin=0.0))
    assert without.scores(ts, x)[AT] < cfg.threshold  # the likelihood alone misses it
    det = combined_detector(cfg)
    assert det.scores(ts, x)[AT] >= cfg.threshold
    state = det.new_state()
    for i in range(AT + 1):
        state, verdict = det.update(state, int(ts[i]), float(x[i]))
    assert verdict.score >= cfg.threshold
    assert "new extreme" in verdict.reason


def test_combined_learns_the_daily_pattern_and_catches_a_missing_peak(cfg: AnomalyConfig) -> None:
    x = daily(8 * DAY)
    quiet = _alerts(combined_detector, cfg, x)
    assert len(quiet) == 0
    peak = 7 * DAY + DAY // 4  # the sine's maximum: +20 expected
    x[peak - 12 : peak + 12] -= 20.0  # the peak flattens to the mean: no spike on its own
    hits = _alerts(combined_detector, cfg, x)
    assert len(hits) >= 1
    assert peak - 12 <= hits[0] < peak + 12


def test_verdict_explains_expected_range(cfg: AnomalyConfig) -> None:
    det = spike_detector(cfg)
    state = det.new_state()
    x = noise(N)
    x[AT] += 15.0
    ts = times(N)
    for i in range(AT + 1):
        state, verdict = det.update(state, int(ts[i]), float(x[i]))
    assert verdict.score >= cfg.threshold
    assert verdict.expected_low is not None
    assert verdict.expected_high is not None
    assert verdict.expected_low < 50.0 < verdict.expected_high < verdict.observed
    assert "expected" in verdict.reason
