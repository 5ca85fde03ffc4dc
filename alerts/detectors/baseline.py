"""The adaptive baseline: level, hour-of-day/day-of-week profile, residual scale.

For each record (value ``x`` at ``ts``), using only earlier records:

* level ``m``: debiased EWMA of ``x``;
* hour profile ``h[hour]``: EWMA of ``x - m`` over earlier records of the same UTC hour
  (its memory, ``season_half_life``, counts visits of the bin, not records);
  day profile ``d[dow]``: EWMA of ``x - m - h`` over the same weekday;
* seasonal prediction ``m + h + d``; it is USED only once its mean absolute error is
  below ``season_gain`` x the plain level's (the series shows its own daily/weekly
  pattern, learnt causally) and the hour bin has ``season_min_records`` records;
* residual ``r = x - prediction``; scale ``s`` = EWMA of ``|r|`` plus a floor of
  1e-3 x the mean ``|x|`` (so a perfectly flat series still has a scale).

Spike: ``z = |r| / s``. Level shift: the fast EWMA of ``r`` over ``s``, times the square
root of that EWMA's effective sample size (a two-window test in exponential form).
Drift: the same statistic with a longer memory (``drift_half_life`` records): a slow
creep that never leaves the series' usual range still moves the mean of its residuals.
:func:`step` (one record, mutating :class:`BaselineState`) and :func:`batch` (a whole
series, vectorised) compute the same numbers.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import msgspec
import numpy as np

from alerts.detectors.config import AnomalyConfig, Rates
from alerts.detectors.ewma import Array, IntArray, ewm, ewm_prev

__all__ = ["BaselineBatch", "BaselineParts", "BaselineState", "batch", "new_state", "step"]

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
_BIN = struct.Struct("<ddd")  # s, w, records of one profile bin
_DOW0 = 24 * _BIN.size
_FLOOR_REL = 1e-3
_FLOOR_ABS = 1e-9


class BaselineState(msgspec.Struct, array_like=True):
    """Learnt state of one series (mutable; msgspec-serialisable)."""

    m_s: float = 0.0
    m_w: float = 0.0
    abs_s: float = 0.0
    abs_w: float = 0.0
    ens_s: float = 0.0  # |x - level| (no season)
    ens_w: float = 0.0
    es_s: float = 0.0  # |x - seasonal prediction|
    es_w: float = 0.0
    sc_s: float = 0.0  # |r|
    sc_w: float = 0.0
    f_s: float = 0.0  # r (fast)
    f_w: float = 0.0
    d_s: float = 0.0  # r (drift: a longer memory)
    d_w: float = 0.0
    bins: bytearray = msgspec.field(default_factory=lambda: bytearray(31 * _BIN.size))


def new_state() -> BaselineState:
    return BaselineState()


@dataclass(frozen=True, slots=True)
class BaselineParts:
    prediction: float
    scale: float
    z_spike: float
    z_shift: float
    z_drift: float


def _shift_gain(a: float) -> float:
    return math.sqrt((2.0 - a) / (2.0 * a))


def step(st: BaselineState, rt: Rates, cfg: AnomalyConfig, ts: int, x: float) -> BaselineParts:
    first = st.m_w == 0.0
    m = x if first else st.m_s / st.m_w
    r0 = x - m
    ho = (ts // HOUR_MS) % 24 * _BIN.size
    do = _DOW0 + (ts // DAY_MS + 4) % 7 * _BIN.size
    hs, hw, hn = _BIN.unpack_from(st.bins, ho)
    hp = hs / hw if hw > 0.0 else 0.0
    ab = rt.a_bin
    _BIN.pack_into(st.bins, ho, ab * r0 + (1.0 - ab) * hs, ab + (1.0 - ab) * hw, hn + 1.0)
    r1 = r0 - hp
    ds, dw, dn = _BIN.unpack_from(st.bins, do)
    dp = ds / dw if dw > 0.0 else 0.0
    _BIN.pack_into(st.bins, do, ab * r1 + (1.0 - ab) * ds, ab + (1.0 - ab) * dw, dn + 1.0)
    pred_s = m + hp + dp
    ens = st.ens_s / st.ens_w if st.ens_w > 0.0 else math.inf
    es = st.es_s / st.es_w if st.es_w > 0.0 else math.inf
    ae = rt.a_error
    st.ens_s = ae * abs(x - m) + (1.0 - ae) * st.ens_s
    st.ens_w = ae + (1.0 - ae) * st.ens_w
    st.es_s = ae * abs(x - pred_s) + (1.0 - ae) * st.es_s
    st.es_w = ae + (1.0 - ae) * st.es_w
    seasonal = es < cfg.season_gain * ens and hn >= cfg.season_min_records
    pred = pred_s if seasonal else m
    r = x - pred
    al = rt.a_level
    st.m_s = al * x + (1.0 - al) * st.m_s
    st.m_w = al + (1.0 - al) * st.m_w
    asc = rt.a_scale
    lvl = st.abs_s / st.abs_w if st.abs_w > 0.0 else 0.0
    floor = _FLOOR_REL * lvl + _FLOOR_ABS
    st.abs_s = asc * abs(x) + (1.0 - asc) * st.abs_s
    st.abs_w = asc + (1.0 - asc) * st.abs_w
    s = (st.sc_s / st.sc_w if st.sc_w > 0.0 else math.inf) + floor
    st.sc_s = asc * abs(r) + (1.0 - asc) * st.sc_s
    st.sc_w = asc + (1.0 - asc) * st.sc_w
    af = rt.a_shift
    st.f_s = af * r + (1.0 - af) * st.f_s
    st.f_w = af + (1.0 - af) * st.f_w
    fast = st.f_s / st.f_w
    ad = rt.a_drift
    z_drift = 0.0
    if ad > 0.0:
        st.d_s = ad * r + (1.0 - ad) * st.d_s
        st.d_w = ad + (1.0 - ad) * st.d_w
        z_drift = abs(st.d_s / st.d_w) / s * _shift_gain(ad)
    return BaselineParts(pred, s, abs(r) / s, abs(fast) / s * _shift_gain(af), z_drift)


@dataclass(frozen=True, slots=True)
class BaselineBatch:
    prediction: Array
    scale: Array
    z_spike: Array
    z_shift: Array
    z_drift: Array


def _bins_prev(v: Array, bins: IntArray, nbins: int, a: float) -> tuple[Array, Array]:
    """Per row: EWMA of ``v`` over EARLIER rows of the same bin (0 if none), and their count."""
    out = np.zeros(len(v))
    count = np.zeros(len(v))
    for b in range(nbins):
        idx = np.flatnonzero(bins == b)
        if len(idx) == 0:
            continue
        out[idx] = ewm_prev(v[idx], a, 0.0)
        count[idx] = np.arange(len(idx), dtype=np.float64)
    return out, count


def batch(ts: IntArray, x: Array, rt: Rates, cfg: AnomalyConfig) -> BaselineBatch:
    """:func:`step` over a whole series from a new state, vectorised."""
    m = ewm_prev(x, rt.a_level, x[0] if len(x) else 0.0)
    r0 = x - m
    hp, hn = _bins_prev(r0, (ts // HOUR_MS) % 24, 24, rt.a_bin)
    r1 = r0 - hp
    dp, _ = _bins_prev(r1, (ts // DAY_MS + 4) % 7, 7, rt.a_bin)
    pred_s = m + hp + dp
    ens = ewm_prev(np.abs(x - m), rt.a_error, math.inf)
    es = ewm_prev(np.abs(x - pred_s), rt.a_error, math.inf)
    seasonal = (es < cfg.season_gain * ens) & (hn >= cfg.season_min_records)
    pred = np.where(seasonal, pred_s, m)
    r = x - pred
    floor = _FLOOR_REL * ewm_prev(np.abs(x), rt.a_scale, 0.0) + _FLOOR_ABS
    s = ewm_prev(np.abs(r), rt.a_scale, math.inf) + floor
    fast = ewm(r, rt.a_shift)
    z_shift = np.abs(fast) / s * _shift_gain(rt.a_shift)
    z_drift = np.zeros(len(x))
    if rt.a_drift > 0.0:
        z_drift = np.abs(ewm(r, rt.a_drift)) / s * _shift_gain(rt.a_drift)
    return BaselineBatch(pred, s, np.abs(r) / s, z_shift, z_drift)
