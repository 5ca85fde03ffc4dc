"""The multivariate detector: equal paths, faults caught, empirical calibration, hold."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from alerts.detectors.domain_common import chi2_isf
from alerts.detectors.hold import HoldConfig, hold
from alerts.detectors.multivariate import (
    MultivariateConfig,
    MultivariateDetector,
    MultivariateState,
)
from simulators.station_runs import COLUMNS, FAULTS, Run, fault_free_run, faulty_run

CFG = MultivariateConfig()


def _table(run: Run) -> tuple[np.ndarray, np.ndarray]:
    ts = np.array(run.ts_ms, dtype=np.int64)
    return ts, np.array([[row[c] for c in COLUMNS] for row in run.rows])


def _stream(det: MultivariateDetector, ts: np.ndarray, x: np.ndarray) -> np.ndarray:
    state = det.new_state()
    out = np.empty(len(ts))
    for i in range(len(ts)):
        state, verdict = det.update(state, int(ts[i]), dict(zip(det.columns, x[i], strict=True)))
        out[i] = verdict.score
    return out


@pytest.mark.parametrize("run", [fault_free_run(7), faulty_run(8, "leak")], ids=lambda r: r.name)
def test_streaming_and_vectorised_scores_are_equal(run: Run) -> None:
    det = MultivariateDetector(COLUMNS)
    ts, x = _table(run)
    batch = det.scores(ts, x)
    np.testing.assert_allclose(_stream(det, ts, x), batch, rtol=0, atol=1e-9)
    assert np.all(batch[: CFG.learn_records] == 0.0)


@pytest.mark.parametrize("fault", FAULTS)
def test_each_station_fault_is_flagged_within_60_records(fault: str) -> None:
    run = faulty_run(11, fault)
    assert run.fault_at is not None
    ts, x = _table(run)
    alert = hold(MultivariateDetector(COLUMNS).scores(ts, x), HoldConfig())
    assert not alert[: run.fault_at].any()
    first = int(np.flatnonzero(alert[run.fault_at :])[0])
    assert first <= 60
    assert alert[run.fault_at + first :].mean() > 0.9  # held while the fault lasts


def test_meter_columns_enter_as_rates_so_a_growing_counter_is_normal() -> None:
    ts, x = _table(fault_free_run(12))
    det = MultivariateDetector(COLUMNS)
    state = det.new_state()
    for i in range(CFG.probe_records):
        state, _ = det.update(state, int(ts[i]), dict(zip(COLUMNS, x[i], strict=True)))
    counters = np.frombuffer(state.counters, dtype=np.uint8).astype(bool)
    assert [c for c, k in zip(COLUMNS, counters, strict=True) if k] == ["heat_gj", "makeup_water_t"]


def _heavy(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mix = np.array(
        [[1.0, 0.6, 0.0, 0.0], [0.0, 1.0, 0.5, 0.0], [0.0, 0.0, 1.0, 0.3], [0, 0, 0, 1.0]]
    )
    x = rng.standard_t(2.5, size=(n, 4)) @ mix + 10.0
    return 1_000_000 + 1000 * np.arange(n, dtype=np.int64), x


def test_heavy_tails_are_calibrated_empirically_not_by_chi_square() -> None:
    """Student-t noise: a chi-square limit alerts on many records, the detector's own
    calibration on few."""
    det = MultivariateDetector(tuple("abcd"))
    chi_rate, own_rate = [], []
    for seed in range(10):
        ts, x = _heavy(1500, seed)
        state = det.new_state()
        d2, score = [], []
        for i in range(len(ts)):
            state, v = det.update(state, int(ts[i]), dict(zip("abcd", x[i], strict=True)))
            d2.append(v.observed)
            score.append(v.score)
        scored = np.array(d2)[CFG.learn_records :]
        chi_rate.append(np.mean(scored > chi2_isf(1e-4, 4)))  # a 1-in-10,000 chi-square limit
        own_rate.append(np.mean(hold(np.array(score), HoldConfig())))
    assert np.mean(chi_rate) > 0.01  # 100 x what chi-square promises
    assert np.mean(own_rate) < 0.01


def test_state_is_a_few_kilobytes_and_survives_a_snapshot() -> None:
    ts, x = _table(faulty_run(13, "pump"))
    det = MultivariateDetector(COLUMNS)
    state = det.new_state()
    half = len(ts) // 2
    for i in range(half):
        state, _ = det.update(state, int(ts[i]), dict(zip(COLUMNS, x[i], strict=True)))
    blob = msgspec.msgpack.encode(state)
    assert len(blob) <= 2500
    restored = msgspec.msgpack.decode(blob, type=MultivariateState)
    for i in range(half, len(ts)):
        values = dict(zip(COLUMNS, x[i], strict=True))
        state, a = det.update(state, int(ts[i]), values)
        restored, b = det.update(restored, int(ts[i]), values)
        assert a == b


def test_relearning_after_a_lasting_new_normal() -> None:
    cfg = msgspec.structs.replace(CFG, relearn_records=50)
    run = faulty_run(14, "valve")
    assert run.fault_at is not None
    ts, x = _table(run)
    det = MultivariateDetector(COLUMNS, cfg)
    state = det.new_state()
    reasons, scores = [], []
    for i in range(len(ts)):
        state, v = det.update(state, int(ts[i]), dict(zip(COLUMNS, x[i], strict=True)))
        reasons.append(v.reason)
        scores.append(v.score)
    assert max(scores[run.fault_at : run.fault_at + 60]) >= 0.5  # the fault alerted first
    assert "learning" in reasons[run.fault_at + 50 :]  # then its lasting state was learnt
    assert max(scores[-100:]) < 0.5  # and is the new normal
    with pytest.raises(ValueError, match="relearn_records"):
        det.scores(ts, x)


def test_hold_raises_after_confirm_holds_through_dips_and_clears_after_clear_records() -> None:
    cfg = HoldConfig(threshold=0.5, confirm_records=3, clear_threshold=0.3, clear_records=4)
    s = np.array([0.6, 0.6, 0.1, 0.6, 0.6, 0.6, 0.4, 0.2, 0.2, 0.6, 0.2, 0.2, 0.2, 0.2, 0.6])
    expected = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    assert hold(s, cfg).astype(int).tolist() == expected
