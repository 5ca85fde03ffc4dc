"""Range: a value beyond everything the series has done before.

The range ``[lo, hi]`` is the minimum and maximum of all EARLIER records. A record
outside it by ``e`` times the range width (``e = max(x - hi, lo - x) / (hi - lo)``,
0 inside the range or while the range is empty) is a new extreme. ``e`` is reported only
once the range has ``learn_records`` records behind it (a young range is exceeded by
noise alone). :func:`step` and :func:`batch` compute the same numbers exactly (``max`` and
``min`` do not round).
"""

from __future__ import annotations

import math

import msgspec
import numpy as np

from alerts.detectors.ewma import Array

__all__ = ["RangeState", "batch", "step"]


class RangeState(msgspec.Struct, array_like=True):
    lo: float = math.inf
    hi: float = -math.inf
    n: int = 0  # records seen, counted up to learn_records only


def _excess(x: float, lo: float, hi: float) -> float:
    width = hi - lo
    if not width > 0.0:
        return 0.0
    return max(0.0, x - hi, lo - x) / width


def step(st: RangeState, learn_records: int, x: float) -> tuple[float, float, float]:
    """``(excess, lo, hi)`` for one record (range before it); mutates ``st``."""
    lo, hi = st.lo, st.hi
    e = _excess(x, lo, hi) if st.n >= learn_records else 0.0
    st.lo, st.hi, st.n = min(lo, x), max(hi, x), min(st.n + 1, learn_records)
    return e, lo, hi


def batch(x: Array, learn_records: int) -> Array:
    n = len(x)
    if n == 0:
        return np.zeros(0)
    hi = np.empty(n)
    lo = np.empty(n)
    hi[0], lo[0] = -math.inf, math.inf
    hi[1:] = np.maximum.accumulate(x[:-1])
    lo[1:] = np.minimum.accumulate(x[:-1])
    width = hi - lo
    ok = width > 0.0
    e = np.zeros(n)
    e[ok] = np.maximum(np.maximum(x[ok] - hi[ok], lo[ok] - x[ok]), 0.0) / width[ok]
    e[:learn_records] = 0.0
    return e
