"""Heat-exchange station detectors (``MultiDetector``: a mapping of named values).

- :class:`UnderHeatingCurve` — metrics ``[supply, outdoor]``: learns the station's own
  heating curve ``supply = a + b × outdoor`` online (exponentially weighted least
  squares, the 2×2 normal equations kept in the state, a light ridge pulling ``b``
  towards ``prior_slope`` while the outdoor spread is small) and the robust spread of
  its residuals; scores a supply below the curve by more than ``k`` sigmas.
- :class:`Burst` — metrics ``[pressure, makeup]``: a supply pressure drop AND a jump of
  the make-up water rate (``makeup`` is cumulative, tonnes: its rate in t/h is used),
  each against its own learned level and spread; the smaller of the two sets the score.
- :class:`StationMahalanobis` — any metrics (``cumulative`` ones enter as rates):
  Mahalanobis distance of the record from an exponentially weighted mean and
  covariance; score = ``1 - chi-square tail`` (so 0.9999 = a 1-in-10,000 record).

All three learn only from records they find normal, so a fault is not absorbed; after
``relearn_s`` of uninterrupted anomaly they learn again (a lasting new normal, e.g. a
new set-point, stops alerting). Scores of the first two follow :mod:`domain_common`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated

import msgspec
import numpy as np
from msgspec import Meta

from alerts.detectors.base import Verdict
from alerts.detectors.domain_common import HOUR_MS, chi2_isf, chi2_sf, decay, edge_score

__all__ = [
    "Burst",
    "BurstConfig",
    "BurstState",
    "CurveState",
    "MahalanobisConfig",
    "MahalanobisState",
    "StationMahalanobis",
    "UnderHeatingCurve",
    "UnderHeatingCurveConfig",
]

Positive = Annotated[float, Meta(gt=0.0)]
_EXPLAIN_FROM = 0.25  # below this score a verdict carries no reason (saves formatting)


def _two(metrics: tuple[str, ...], detector: str, roles: str) -> tuple[str, str]:
    if len(metrics) != 2:
        raise ValueError(f"{detector} needs exactly two metrics: {roles}")
    return metrics[0], metrics[1]


# ---------------------------------------------------------------- heating curve


class UnderHeatingCurveConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    half_life_s: Positive = 3 * 24 * 3600.0  # memory of the curve
    scale_half_life_s: Positive = 6 * 3600.0  # memory of the residual spread
    k: Positive = 4.0  # sigmas under the curve for score 0.5
    min_sigma_c: Positive = 0.4  # floor of the residual spread
    prior_slope: float = -0.8  # K per K of outdoor (heating curve 50 − 0.8 × outdoor)
    prior_weight: Annotated[float, Meta(ge=0.0)] = 250.0  # ridge, in records × K²
    warmup: Annotated[int, Meta(ge=2)] = 30  # records before the first verdict
    relearn_s: Positive = 12 * 3600.0


class CurveState(msgspec.Struct, array_like=True):
    last_ts: int = 0
    s0: float = 0.0  # decayed Σw, Σw·x, Σw·x², Σw·y, Σw·x·y (x outdoor, y supply)
    sx: float = 0.0
    sxx: float = 0.0
    sy: float = 0.0
    sxy: float = 0.0
    spread: float = 0.0  # EW mean |residual|
    count: int = 0
    anomalous_since: int = 0  # 0 = learning normally


class UnderHeatingCurve:
    """Secondary supply below the station's learned heating curve; observed = supply °C."""

    name = "under_heating_curve"

    def __init__(
        self, metrics: tuple[str, ...], config: UnderHeatingCurveConfig | None = None
    ) -> None:
        self.supply, self.outdoor = _two(metrics, self.name, "supply temperature, outdoor")
        self.config = config or UnderHeatingCurveConfig()
        self._hl = self.config.half_life_s * 1000
        self._scale_hl = self.config.scale_half_life_s * 1000

    def new_state(self) -> CurveState:
        return CurveState()

    def curve(self, state: CurveState) -> tuple[float, float]:
        """``(a, b)`` of the learned curve ``supply = a + b × outdoor``: the 2×2 normal
        equations ``[[s0, sx], [sx, sxx + λ]] · [a, b] = [sy, sxy + λ·prior_slope]``
        (solved in closed form: this runs for every record)."""
        lam = self.config.prior_weight
        sxx = state.sxx + lam
        sxy = state.sxy + lam * self.config.prior_slope
        det = state.s0 * sxx - state.sx * state.sx
        a = (sxx * state.sy - state.sx * sxy) / det
        b = (state.s0 * sxy - state.sx * state.sy) / det
        return a, b

    def update(
        self, state: CurveState, ts_ms: int, values: Mapping[str, float]
    ) -> tuple[CurveState, Verdict]:
        y, x = values.get(self.supply), values.get(self.outdoor)
        if y is None or x is None:
            return state, Verdict(0.0, math.nan if y is None else y)
        cfg = self.config
        new = msgspec.structs.replace(state, last_ts=ts_ms)
        score, verdict = 0.0, Verdict(0.0, y)
        if state.count >= cfg.warmup:
            a, b = self.curve(state)
            expected = a + b * x
            sigma = max(cfg.min_sigma_c, 1.25 * state.spread)
            deficit = expected - y
            score = edge_score(deficit, cfg.k * sigma)
            low = expected - cfg.k * sigma
            reason = ""
            if score >= _EXPLAIN_FROM:
                reason = (
                    f"secondary supply {y:.1f} °C at outdoor {x:.1f} °C, curve expects "
                    f"{expected:.1f} ({deficit:+.1f} K short, sigma {sigma:.2f})"
                )
            verdict = Verdict(score, y, low, expected + cfg.k * sigma, reason)
            if score >= 0.5:
                new.anomalous_since = state.anomalous_since or ts_ms
                if ts_ms - new.anomalous_since < cfg.relearn_s * 1000:
                    return new, verdict
            else:
                new.anomalous_since = 0
            w = max(1.0 - decay(ts_ms - state.last_ts, self._scale_hl), 1.0 / (state.count + 1))
            new.spread += w * (abs(y - expected) - state.spread)
        d = decay(ts_ms - state.last_ts, self._hl) if state.count else 1.0
        new.s0 = state.s0 * d + 1.0
        new.sx = state.sx * d + x
        new.sxx = state.sxx * d + x * x
        new.sy = state.sy * d + y
        new.sxy = state.sxy * d + x * y
        new.count = state.count + 1
        return new, verdict


# ---------------------------------------------------------------- burst


class BurstConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    half_life_s: Positive = 3600.0  # memory of the normal levels and spreads
    k: Positive = 6.0  # sigmas of drop / jump for score 0.5 (both needed)
    min_pressure_sigma_mpa: Positive = 0.01
    min_rate_sigma_t_h: Positive = 0.25
    max_gap_s: Positive = 900.0  # a longer gap: no make-up rate for that record
    warmup: Annotated[int, Meta(ge=2)] = 10
    relearn_s: Positive = 6 * 3600.0


class BurstState(msgspec.Struct, array_like=True):
    last_ts: int = 0
    last_makeup: float = -1.0
    p_mean: float = 0.0
    p_dev: float = 0.0
    r_mean: float = 0.0
    r_dev: float = 0.0
    count: int = 0
    anomalous_since: int = 0


class Burst:
    """Pressure drop together with a make-up water jump; observed = pressure, MPa."""

    name = "burst"

    def __init__(self, metrics: tuple[str, ...], config: BurstConfig | None = None) -> None:
        self.pressure, self.makeup = _two(metrics, self.name, "pressure, cumulative make-up")
        self.config = config or BurstConfig()
        self._hl = self.config.half_life_s * 1000

    def new_state(self) -> BurstState:
        return BurstState()

    def update(
        self, state: BurstState, ts_ms: int, values: Mapping[str, float]
    ) -> tuple[BurstState, Verdict]:
        p, makeup = values.get(self.pressure), values.get(self.makeup)
        if p is None or makeup is None:
            return state, Verdict(0.0, math.nan if p is None else p)
        cfg = self.config
        dt = ts_ms - state.last_ts
        new = msgspec.structs.replace(state, last_ts=ts_ms, last_makeup=makeup)
        if state.last_makeup < 0 or makeup < state.last_makeup or dt > cfg.max_gap_s * 1000:
            return new, Verdict(0.0, p)
        rate = (makeup - state.last_makeup) * HOUR_MS / dt if dt > 0 else state.r_mean
        verdict = Verdict(0.0, p)
        if state.count >= cfg.warmup:
            p_sigma = max(cfg.min_pressure_sigma_mpa, 1.25 * state.p_dev)
            r_sigma = max(cfg.min_rate_sigma_t_h, 1.25 * state.r_dev)
            drop, jump = state.p_mean - p, rate - state.r_mean
            score = min(edge_score(drop, cfg.k * p_sigma), edge_score(jump, cfg.k * r_sigma))
            reason = ""
            if score >= _EXPLAIN_FROM:
                reason = (
                    f"supply pressure {p:.3f} MPa ({-drop:+.3f} vs {state.p_mean:.3f}), "
                    f"make-up {rate:.2f} t/h (normal {state.r_mean:.2f})"
                )
            low = state.p_mean - cfg.k * p_sigma
            verdict = Verdict(score, p, low, state.p_mean + cfg.k * p_sigma, reason)
            if score >= 0.5:
                new.anomalous_since = state.anomalous_since or ts_ms
                if ts_ms - new.anomalous_since < cfg.relearn_s * 1000:
                    return new, verdict
            else:
                new.anomalous_since = 0
        w = max(1.0 - decay(dt, self._hl), 1.0 / (state.count + 1))
        if state.count:
            new.p_dev = state.p_dev + w * (abs(p - state.p_mean) - state.p_dev)
            new.r_dev = state.r_dev + w * (abs(rate - state.r_mean) - state.r_dev)
        new.p_mean = state.p_mean + w * (p - state.p_mean)
        new.r_mean = state.r_mean + w * (rate - state.r_mean)
        new.count = state.count + 1
        return new, verdict


# ---------------------------------------------------------------- Mahalanobis


class MahalanobisConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    cumulative: list[str] = []  # metrics that enter as their rate per hour
    half_life_s: Positive = 3600.0
    ridge: Annotated[float, Meta(ge=0.0)] = 0.05  # shrinks the covariance to its diagonal
    min_sd: Positive = 1e-3  # floor of each standard deviation (units of the metric)
    learn_below: Annotated[float, Meta(gt=0.0, lt=1.0)] = 0.999  # learn if score below
    warmup: Annotated[int, Meta(ge=2)] = 60
    max_gap_s: Positive = 900.0
    relearn_s: Positive = 6 * 3600.0


class MahalanobisState(msgspec.Struct, array_like=True):
    last_ts: int = 0
    last_cum: list[float] = []  # last values of the cumulative metrics (-1 = none)
    mean: bytes = b""  # float64[p]
    cov: bytes = b""  # float64[p, p], row-major
    count: int = 0
    anomalous_since: int = 0


class StationMahalanobis:
    """The record as a whole far from the station's recent normal; observed = d²."""

    name = "mahalanobis"

    def __init__(self, metrics: tuple[str, ...], config: MahalanobisConfig | None = None) -> None:
        cfg = config or MahalanobisConfig()
        if len(metrics) < 2:
            raise ValueError("mahalanobis needs at least two metrics")
        unknown = set(cfg.cumulative) - set(metrics)
        if unknown:
            raise ValueError(f"mahalanobis: cumulative {sorted(unknown)} not among the metrics")
        self.metrics = metrics
        self.config = cfg
        self._cum_index = [i for i, m in enumerate(metrics) if m in cfg.cumulative]
        self._hl = cfg.half_life_s * 1000
        self._limit = chi2_isf(1.0 - cfg.learn_below, len(metrics))
        self._min_var = cfg.min_sd**2
        self._diag = np.eye(len(metrics), dtype=bool)

    def new_state(self) -> MahalanobisState:
        return MahalanobisState(last_cum=[-1.0] * len(self._cum_index))

    def update(
        self, state: MahalanobisState, ts_ms: int, values: Mapping[str, float]
    ) -> tuple[MahalanobisState, Verdict]:
        cfg = self.config
        try:
            raw = [values[m] for m in self.metrics]
        except KeyError:
            return state, Verdict(0.0, 0.0)
        dt = ts_ms - state.last_ts
        new = MahalanobisState(ts_ms, state.last_cum, state.mean, state.cov, state.count)
        new.anomalous_since = state.anomalous_since
        if self._cum_index:
            new.last_cum = [raw[i] for i in self._cum_index]
            gap = dt > cfg.max_gap_s * 1000 or dt <= 0
            for slot, i in enumerate(self._cum_index):
                previous = state.last_cum[slot]
                if gap or previous < 0 or raw[i] < previous:
                    return new, Verdict(0.0, 0.0)  # no rate for this record
                raw[i] = (raw[i] - previous) * HOUR_MS / dt
        x = np.array(raw)
        p = len(raw)
        if state.count == 0:
            new.mean, new.cov, new.count = x.tobytes(), np.zeros((p, p)).tobytes(), 1
            return new, Verdict(0.0, 0.0)
        mean = np.frombuffer(state.mean)
        cov = np.frombuffer(state.cov).reshape(p, p)
        delta = x - mean
        verdict = Verdict(0.0, 0.0)
        if state.count >= cfg.warmup:
            sd = np.sqrt(np.maximum(cov.diagonal(), self._min_var))
            corr = cov / np.outer(sd, sd)
            corr *= 1.0 - cfg.ridge
            corr[self._diag] = 1.0
            z = delta / sd
            d2 = float(z @ np.linalg.solve(corr, z))
            tail = chi2_sf(d2, p)
            score = 1.0 - tail
            reason = ""
            if score >= 0.999:
                worst = int(np.argmax(np.abs(z)))
                reason = (
                    f"d²={d2:.1f} on {p} metrics (tail {tail:.1e}); "
                    f"most off: {self.metrics[worst]} {z[worst]:+.1f} sd"
                )
            verdict = Verdict(score, d2, 0.0, self._limit, reason)
            if score >= cfg.learn_below:
                new.anomalous_since = state.anomalous_since or ts_ms
                if ts_ms - new.anomalous_since < cfg.relearn_s * 1000:
                    return new, verdict
            else:
                new.anomalous_since = 0
        w = max(1.0 - decay(dt, self._hl), 1.0 / (state.count + 1))
        new.mean = (mean + w * delta).tobytes()
        new.cov = ((1.0 - w) * (cov + w * np.outer(delta, delta))).tobytes()
        new.count = state.count + 1
        return new, verdict
