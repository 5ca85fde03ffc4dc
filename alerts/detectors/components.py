"""The detectors: five components run alone, and :class:`CombinedDetector` (all five).

Each factory returns an :class:`~alerts.detectors.stream.Envelope` (a ``Detector``):

| detector | surprise (decades, ``-log10 p``) |
|---|---|
| ``spike_detector`` | ``z / ln 10`` with ``z = |x - baseline| / scale`` (Laplace tail) |
| ``level_shift_detector`` | ``-log10 Q(z)``, ``z`` the baseline's two-window statistic |
| ``rate_detector`` | ``z / ln 10``, ``z = |dx| / usual |dx|`` |
| ``stuck_detector`` | ``stuck surprise / ln 10`` |
| ``range_detector`` | scaled so that ``score = excess / (2 range_margin)`` (extremes.py) |
| ``combined_detector`` | max(anomaly likelihood of ``log1p(max z)`` (likelihood.py), range) |
"""

from __future__ import annotations

import math

import msgspec
import numpy as np
from scipy.special import erfc

from alerts.detectors import baseline, extremes, flatline, likelihood, rate
from alerts.detectors.config import AnomalyConfig, Rates
from alerts.detectors.ewma import Array, IntArray
from alerts.detectors.stream import Envelope, Surprise

__all__ = [
    "CombinedDetector",
    "CombinedState",
    "combined_detector",
    "level_shift_detector",
    "range_detector",
    "rate_detector",
    "spike_detector",
    "stuck_detector",
]

LN10 = math.log(10.0)
_SPAN = 3.0  # expected range shown to operators: prediction +- _SPAN x scale


def _gauss_decades(z: float) -> float:
    return -math.log10(max(0.5 * math.erfc(z / math.sqrt(2.0)), 1e-300))


def _gauss_decades_batch(z: Array) -> Array:
    p = 0.5 * np.asarray(erfc(z / math.sqrt(2.0)), dtype=np.float64)
    return np.asarray(-np.log10(np.maximum(p, 1e-300)), dtype=np.float64)


class _BaselineKernel:
    """Spike (``shift=False``) or level shift (``shift=True``) on the adaptive baseline."""

    def __init__(self, cfg: AnomalyConfig, shift: bool) -> None:
        self.cfg = cfg
        self.shift = shift

    def init(self) -> baseline.BaselineState:
        return baseline.new_state()

    def step(self, k: baseline.BaselineState, rt: Rates, ts: int, x: float) -> Surprise:
        p = baseline.step(k, rt, self.cfg, ts, x)
        lo, hi = p.prediction - _SPAN * p.scale, p.prediction + _SPAN * p.scale
        if self.shift:
            return Surprise(_gauss_decades(p.z_shift), lo, hi, f"level shift z={p.z_shift:.1f}")
        return Surprise(p.z_spike / LN10, lo, hi, f"{x:.4g} vs expected {lo:.4g}..{hi:.4g}")

    def batch(self, ts: IntArray, x: Array, rt: Rates) -> Array:
        b = baseline.batch(ts, x, rt, self.cfg)
        return _gauss_decades_batch(b.z_shift) if self.shift else b.z_spike / LN10


class _RateKernel:
    def init(self) -> rate.RateState:
        return rate.RateState()

    def step(self, k: rate.RateState, rt: Rates, ts: int, x: float) -> Surprise:
        last = k.last
        z, usual = rate.step(k, rt, x)
        lo = hi = None
        if not math.isnan(last) and math.isfinite(usual):
            lo, hi = last - _SPAN * usual, last + _SPAN * usual
        return Surprise(z / LN10, lo, hi, f"changed {x - last:.4g} (usual |step| {usual:.3g})")

    def batch(self, ts: IntArray, x: Array, rt: Rates) -> Array:
        return rate.batch(x, rt)[0] / LN10


class _StuckKernel:
    def __init__(self, cfg: AnomalyConfig) -> None:
        self.factor = cfg.stuck_factor

    def init(self) -> flatline.FlatlineState:
        return flatline.FlatlineState()

    def step(self, k: flatline.FlatlineState, rt: Rates, ts: int, x: float) -> Surprise:
        u, run = flatline.step(k, self.factor, x)
        return Surprise(u / LN10, None, None, f"{run} equal records (longest before {k.longest})")

    def batch(self, ts: IntArray, x: Array, rt: Rates) -> Array:
        return flatline.batch(x, self.factor)[0] / LN10


def _range_decades(e: float, cfg: AnomalyConfig, log_decades: float) -> float:
    """Decades that make the envelope's score ``e / (2 range_margin)``."""
    return log_decades * e / (2.0 * cfg.range_margin) if cfg.range_margin > 0.0 else 0.0


def _range_reason(x: float, lo: float, hi: float) -> str:
    side = f"above the highest {hi:.4g}" if x > hi else f"below the lowest {lo:.4g}"
    return f"new extreme: {x:.4g} {side} of all earlier records"


class _RangeKernel:
    def __init__(self, cfg: AnomalyConfig) -> None:
        self.cfg = cfg

    def init(self) -> extremes.RangeState:
        return extremes.RangeState()

    def step(self, k: extremes.RangeState, rt: Rates, ts: int, x: float) -> Surprise:
        e, lo, hi = extremes.step(k, self.cfg.range_learn_records, x)
        d = _range_decades(e, self.cfg, self.cfg.component_log_decades)
        low, high = (lo, hi) if math.isfinite(hi - lo) else (None, None)
        return Surprise(d, low, high, _range_reason(x, lo, hi) if e > 0.0 else "within range")

    def batch(self, ts: IntArray, x: Array, rt: Rates) -> Array:
        e = extremes.batch(x, self.cfg.range_learn_records)
        if self.cfg.range_margin <= 0.0:
            return np.zeros(len(x))
        return self.cfg.component_log_decades * e / (2.0 * self.cfg.range_margin)


class CombinedState(msgspec.Struct, array_like=True):
    base: baseline.BaselineState = msgspec.field(default_factory=baseline.new_state)
    rate: rate.RateState = msgspec.field(default_factory=rate.RateState)
    stuck: flatline.FlatlineState = msgspec.field(default_factory=flatline.FlatlineState)
    lik: likelihood.LikelihoodState = msgspec.field(default_factory=likelihood.LikelihoodState)
    range: extremes.RangeState = msgspec.field(default_factory=extremes.RangeState)
    lik_drift: likelihood.LikelihoodState = msgspec.field(
        default_factory=likelihood.LikelihoodState
    )


_NAMES = ("spike", "level shift", "rate of change", "stuck")
_LOG2 = math.log10(2.0)  # two likelihoods (fast, drift): Bonferroni


class _CombinedKernel:
    """The larger of: the likelihood of ``log1p(max(z_spike, z_shift, z_rate, stuck))``,
    the likelihood of ``log1p(z_drift)`` (each against its own history, less log10 2 for
    asking twice), and a new extreme of the series."""

    def __init__(self, cfg: AnomalyConfig) -> None:
        self.cfg = cfg

    def init(self) -> CombinedState:
        return CombinedState()

    def step(self, k: CombinedState, rt: Rates, ts: int, x: float) -> Surprise:
        cfg = self.cfg
        b = baseline.step(k.base, rt, cfg, ts, x)
        z_rate, _ = rate.step(k.rate, rt, x)
        u_stuck, _ = flatline.step(k.stuck, cfg.stuck_factor, x)
        zs = (b.z_spike, b.z_shift, z_rate, u_stuck)
        top = max(range(4), key=zs.__getitem__)
        decades = likelihood.step(k.lik, rt, math.log1p(zs[top]))
        lo, hi = b.prediction - _SPAN * b.scale, b.prediction + _SPAN * b.scale
        reason = f"{_NAMES[top]}: {x:.4g} vs expected {lo:.4g}..{hi:.4g} (z={zs[top]:.1f})"
        if rt.a_drift > 0.0:
            drift = likelihood.step(k.lik_drift, rt, math.log1p(b.z_drift), rt.u_clip)
            if drift > decades:
                decades = drift
                reason = (
                    f"drift: {x:.4g}, residual mean z={b.z_drift:.1f} (expected {lo:.4g}..{hi:.4g})"
                )
            decades -= _LOG2
        e, r_lo, r_hi = extremes.step(k.range, cfg.range_learn_records, x)
        d_range = _range_decades(e, cfg, cfg.log_decades)
        if d_range > decades:
            return Surprise(d_range, lo, hi, _range_reason(x, r_lo, r_hi))
        return Surprise(decades, lo, hi, reason)

    def batch(self, ts: IntArray, x: Array, rt: Rates) -> Array:
        cfg = self.cfg
        b = baseline.batch(ts, x, rt, cfg)
        z_rate, _ = rate.batch(x, rt)
        u_stuck, _ = flatline.batch(x, cfg.stuck_factor)
        z = np.maximum(np.maximum(b.z_spike, b.z_shift), np.maximum(z_rate, u_stuck))
        decades = likelihood.batch(np.log1p(z), rt)
        if rt.a_drift > 0.0:
            drift = likelihood.batch(np.log1p(b.z_drift), rt, rt.u_clip)
            decades = np.maximum(decades, drift) - _LOG2
        if cfg.range_margin <= 0.0:
            return decades
        e = extremes.batch(x, cfg.range_learn_records)
        return np.maximum(decades, cfg.log_decades * e / (2.0 * cfg.range_margin))


CombinedDetector = Envelope[CombinedState]


def combined_detector(cfg: AnomalyConfig) -> CombinedDetector:
    """The generic detector ``lifeline detect`` runs (the NAB one)."""
    return Envelope("anomaly", _CombinedKernel(cfg), cfg)


def spike_detector(cfg: AnomalyConfig) -> Envelope[baseline.BaselineState]:
    return Envelope("spike", _BaselineKernel(cfg, shift=False), cfg, cfg.component_log_decades)


def level_shift_detector(cfg: AnomalyConfig) -> Envelope[baseline.BaselineState]:
    return Envelope("level_shift", _BaselineKernel(cfg, shift=True), cfg, cfg.component_log_decades)


def rate_detector(cfg: AnomalyConfig) -> Envelope[rate.RateState]:
    return Envelope("rate_of_change", _RateKernel(), cfg, cfg.component_log_decades)


def stuck_detector(cfg: AnomalyConfig) -> Envelope[flatline.FlatlineState]:
    return Envelope("stuck", _StuckKernel(cfg), cfg, cfg.component_log_decades)


def range_detector(cfg: AnomalyConfig) -> Envelope[extremes.RangeState]:
    return Envelope("range", _RangeKernel(cfg), cfg, cfg.component_log_decades)
