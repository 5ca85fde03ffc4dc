"""A multivariate detector for stations, calibrated on its own scores (no chi-square).

One record is a vector of ``p`` numeric columns (temperatures, pressures, flows...). Each
series (one station, one CSV) learns its own normal in three phases, counted in records:

1. **probe** (``probe_records``): columns that never decrease and do increase are
   meter readings (heat, make-up water); from then on they enter as their rate per
   second, ``EWMA(dx) / EWMA(dt)`` with half-life ``rate_half_life`` records (a reading
   rounded to its last digit moves in rare steps: one step over a short interval is not
   a burst; a gap is just a longer step);
2. **fit** (``fit_records``): mean ``mu`` and covariance of the vector (Welford);
   standard deviations ``sd`` (floored: a column constant while learning still has a
   scale) and the correlation shrunk towards the identity by ``shrink`` (so 200 records
   of 14 correlated columns give a well-conditioned inverse);
3. **calibrate** (``calibrate_records``): the surprise of each record,
   ``u = log1p(d2 / p)`` with ``d2 = z' R^-1 z`` and ``z = (x - mu) / sd``, is smoothed
   (EWMA, half-life ``smooth_half_life`` records: the likelihood of RECENT surprise, so
   one wild reading is not a fault but a lasting shift is) and its ``tail_k`` largest
   values are kept. They fit an exponential tail: with ``u_k`` the k-th largest and
   ``beta`` the larger of their mean excess over ``u_k`` and the calibration spread,
   ``decades = log10(n_cal / k) + (s - u_k) / (beta ln 10)``: how improbable the
   smoothed surprise ``s`` is, judged by this station's own calibration records.
   Heavy tails widen ``beta``; nothing assumes d2 is chi-square distributed.

``score = min(1, decades / log_decades)``. After learning the model is frozen (a run of a
test rig; a station rule relearns with ``relearn_records``). ``update`` (streaming) and
``scores`` (a whole table, vectorised) give the same scores. State: ~2 KB for 14
columns (mean, scales, the inverse correlation as float64 bytes, the calibration tail).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated

import msgspec
import numpy as np
from msgspec import Meta
from scipy.signal import lfilter

from alerts.detectors.base import Verdict
from alerts.detectors.ewma import Array, IntArray

__all__ = ["MultivariateConfig", "MultivariateDetector", "MultivariateState"]

_LN10 = math.log(10.0)
_SD_FLOOR_REL = 1e-4  # of the column's mean magnitude
_SD_FLOOR_ABS = 1e-6


class MultivariateConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    probe_records: Annotated[int, Meta(ge=2)] = 30
    fit_records: Annotated[int, Meta(ge=3)] = 180
    calibrate_records: Annotated[int, Meta(ge=8)] = 120
    smooth_half_life: Annotated[float, Meta(ge=1)] = 5.0
    rate_half_life: Annotated[float, Meta(ge=1)] = 30.0
    shrink: Annotated[float, Meta(ge=0, le=1)] = 0.2
    tail_k: Annotated[int, Meta(ge=2)] = 8
    log_decades: Annotated[float, Meta(gt=0)] = 6.0
    relearn_records: Annotated[int, Meta(ge=0)] = 0  # 0: frozen after learning

    @property
    def learn_records(self) -> int:
        return self.probe_records + self.fit_records + self.calibrate_records


class MultivariateState(msgspec.Struct, array_like=True):
    n: int = 0  # records seen (since the last relearn)
    last_ts: int = 0
    last: bytes = b""  # float64[p], the previous raw record
    rising: bytes = b""  # uint8[p]: never decreased and increased during the probe
    counters: bytes = b""  # uint8[p]: columns entering as rates
    dx: bytes = b""  # float64[p]: EWMA of the increments (meter columns)
    dt: float = 0.0  # EWMA of the intervals, s
    mean: bytes = b""  # float64[p] (Welford, then the fitted mean)
    m2: bytes = b""  # float64[p, p] (Welford) -- emptied once fitted
    sd: bytes = b""  # float64[p]
    rinv: bytes = b""  # float64[p, p] inverse shrunk correlation
    s_s: float = 0.0  # smoothed surprise (debiased EWMA)
    s_w: float = 0.0
    top: list[float] = msgspec.field(default_factory=list)  # calibration tail (sorted)
    n_cal: int = 0
    spread: tuple[float, float] = (0.0, 0.0)  # calibration sum, sum of squares of s
    alerting: int = 0  # consecutive records scored >= 0.5 (relearn_records)


def _f(b: bytes) -> Array:
    return np.frombuffer(b, dtype=np.float64)


class MultivariateDetector:
    """``MultiDetector`` over ``columns`` (names of the mapping ``update`` receives)."""

    name = "multivariate"

    def __init__(self, columns: tuple[str, ...], config: MultivariateConfig | None = None) -> None:
        if len(columns) < 2:
            raise ValueError("multivariate needs at least two columns")
        self.columns = columns
        self.config = config or MultivariateConfig()
        cfg = self.config
        self._a = 1.0 - 0.5 ** (1.0 / cfg.smooth_half_life)
        self._ar = 1.0 - 0.5 ** (1.0 / cfg.rate_half_life)

    def new_state(self) -> MultivariateState:
        return MultivariateState()

    # ---------------------------------------------------------------- shared maths

    def _model(self, mean: Array, cov: Array) -> tuple[Array, Array]:
        floor = _SD_FLOOR_REL * np.abs(mean) + _SD_FLOOR_ABS
        sd = np.sqrt(np.maximum(np.diag(cov), floor**2))
        corr = cov / np.outer(sd, sd)
        corr = (1.0 - self.config.shrink) * corr
        np.fill_diagonal(corr, 1.0)
        return sd, np.linalg.inv(corr)

    def _decades(self, s: float | Array, top: list[float], n_cal: int, spread: float) -> Array:
        cfg = self.config
        u_k = top[0]
        beta = max(float(np.mean(top)) - u_k, spread, 1e-9)
        d = math.log10(n_cal / len(top)) + (np.asarray(s) - u_k) / (beta * _LN10)
        return np.maximum(d, 0.0) if cfg.log_decades > 0 else d

    # ---------------------------------------------------------------- streaming

    def _vector(self, st: MultivariateState, ts: int, raw: Array) -> Array | None:
        """The record as the model sees it (meter columns as rates); None: no rate yet."""
        if not st.counters:
            return raw
        if not st.last or ts <= st.last_ts:
            return None
        counters = np.frombuffer(st.counters, dtype=np.uint8).astype(bool)
        a = self._ar
        dx = a * (raw - _f(st.last)) + (1.0 - a) * (_f(st.dx) if st.dx else 0.0)
        st.dx, st.dt = dx.tobytes(), a * (ts - st.last_ts) / 1000.0 + (1.0 - a) * st.dt
        return np.where(counters, dx / st.dt, raw)

    def update(
        self, state: MultivariateState, ts_ms: int, values: Mapping[str, float]
    ) -> tuple[MultivariateState, Verdict]:
        try:
            raw = np.array([float(values[c]) for c in self.columns])
        except KeyError:
            return state, Verdict(0.0, math.nan)
        if not np.all(np.isfinite(raw)):
            return state, Verdict(0.0, math.nan)
        cfg = self.config
        st = state
        p = len(raw)
        st.n += 1
        if st.n <= cfg.probe_records:  # which columns are meter readings?
            if st.n == 1:
                st.rising = np.ones(p, dtype=np.uint8).tobytes()
                st.counters = np.zeros(p, dtype=np.uint8).tobytes()
            else:
                rising = np.frombuffer(st.rising, dtype=np.uint8) & (raw >= _f(st.last))
                grew = np.frombuffer(st.counters, dtype=np.uint8) | (raw > _f(st.last))
                st.rising, st.counters = (
                    rising.astype(np.uint8).tobytes(),
                    grew.astype(np.uint8).tobytes(),
                )
            if st.n == cfg.probe_records:
                both = np.frombuffer(st.rising, dtype=np.uint8) & np.frombuffer(
                    st.counters, dtype=np.uint8
                )
                st.counters = both.tobytes() if both.any() else b""
            st.last, st.last_ts = raw.tobytes(), ts_ms
            return st, Verdict(0.0, 0.0, reason="learning")
        x = self._vector(st, ts_ms, raw)
        if x is None:  # a repeated or older time: no rate; not counted
            st.n -= 1
            return st, Verdict(0.0, 0.0)
        st.last, st.last_ts = raw.tobytes(), ts_ms
        k = st.n - cfg.probe_records
        if k <= cfg.fit_records:  # Welford
            if k == 1:
                st.mean, st.m2 = x.tobytes(), np.zeros((p, p)).tobytes()
            else:
                mean = _f(st.mean)
                delta = x - mean
                new_mean = mean + delta / k
                m2 = _f(st.m2).reshape(p, p) + np.outer(delta, x - new_mean)
                st.mean, st.m2 = new_mean.tobytes(), m2.tobytes()
            if k == cfg.fit_records:
                cov = _f(st.m2).reshape(p, p) / (k - 1)
                sd, rinv = self._model(_f(st.mean), cov)
                st.sd, st.rinv, st.m2 = sd.tobytes(), rinv.tobytes(), b""
            return st, Verdict(0.0, 0.0, reason="learning")
        z = (x - _f(st.mean)) / _f(st.sd)
        d2 = float(z @ _f(st.rinv).reshape(p, p) @ z)
        u = math.log1p(max(d2, 0.0) / p)
        a = self._a
        st.s_s = a * u + (1.0 - a) * st.s_s
        st.s_w = a + (1.0 - a) * st.s_w
        s = st.s_s / st.s_w
        if k <= cfg.fit_records + cfg.calibrate_records:
            st.top = sorted([*st.top, s])[-cfg.tail_k :]
            st.n_cal += 1
            st.spread = (st.spread[0] + s, st.spread[1] + s * s)
            return st, Verdict(0.0, d2, reason="calibrating")
        decades = float(self._decades(s, st.top, st.n_cal, self._spread(st)))
        score = min(1.0, decades / cfg.log_decades)
        worst = int(np.argmax(np.abs(z)))
        reason = (
            f"d2={d2:.1f} on {p} columns, recent surprise 1 in 10^{decades:.1f} of its "
            f"calibration; most off: {self.columns[worst]} {z[worst]:+.1f} sd"
        )
        if cfg.relearn_records:
            st.alerting = st.alerting + 1 if score >= 0.5 else 0
            if st.alerting >= cfg.relearn_records:  # a lasting new normal: learn it
                st = MultivariateState()
        return st, Verdict(score, d2, 0.0, None, reason)

    def _spread(self, st: MultivariateState) -> float:
        n = max(st.n_cal, 1)
        mean = st.spread[0] / n
        return math.sqrt(max(st.spread[1] / n - mean * mean, 0.0))

    # ---------------------------------------------------------------- vectorised

    def scores(self, ts: IntArray, table: Array) -> Array:
        """``update``'s scores for every row of ``table`` (rows x columns), from a new
        state, vectorised (``relearn_records`` must be 0)."""
        cfg = self.config
        if cfg.relearn_records:
            raise ValueError("scores() needs relearn_records: 0 (use update())")
        n, p = table.shape
        out = np.zeros(n)
        probe = cfg.probe_records
        if n <= probe:
            return out
        head = table[:probe]
        counters = np.all(np.diff(head, axis=0) >= 0, axis=0) & np.any(
            np.diff(head, axis=0) > 0, axis=0
        )
        x = table[probe:].copy()
        valid = np.ones(len(x), dtype=bool)
        if counters.any():
            # a row at a repeated or older time is skipped (and does not move "previous")
            keep = np.ones(n - probe + 1, dtype=bool)
            t_ok, last_t = ts[probe - 1 :], int(ts[probe - 1])
            for i in range(1, len(t_ok)):
                keep[i] = t_ok[i] > last_t
                last_t = int(t_ok[i]) if keep[i] else last_t
            valid = keep[1:]
            kept_t = t_ok[keep].astype(np.float64)
            kept_x = table[probe - 1 :][keep][:, counters]
            a = self._ar
            den = [1.0, -(1.0 - a)]
            dx = lfilter([a], den, np.diff(kept_x, axis=0), axis=0)
            dt = lfilter([a], den, np.diff(kept_t) / 1000.0)
            x = x[valid]
            x[:, counters] = dx / dt[:, None]
        else:
            x = x[valid]
        fit = cfg.fit_records
        if len(x) <= fit:
            return out
        mean = x[:fit].mean(axis=0)
        cov = (x[:fit] - mean).T @ (x[:fit] - mean) / (fit - 1)
        sd, rinv = self._model(mean, cov)
        z = (x[fit:] - mean) / sd
        d2 = np.einsum("ij,jk,ik->i", z, rinv, z)
        u = np.log1p(np.maximum(d2, 0.0) / p)
        a = self._a
        s = lfilter([a], [1.0, -(1.0 - a)], u) / lfilter([a], [1.0, -(1.0 - a)], np.ones(len(u)))
        cal = s[: cfg.calibrate_records]
        if len(s) <= cfg.calibrate_records:
            return out
        top = sorted(cal.tolist())[-cfg.tail_k :]
        spread = float(np.sqrt(max(np.mean(cal * cal) - np.mean(cal) ** 2, 0.0)))
        rest = s[cfg.calibrate_records :]
        scored = np.minimum(1.0, self._decades(rest, top, len(cal), spread) / cfg.log_decades)
        rows = np.flatnonzero(valid)[fit + cfg.calibrate_records :] + probe
        out[rows] = scored
        return out
