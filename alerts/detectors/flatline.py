"""Stuck / flat line: a run of identical values longer than any seen before.

``run`` counts consecutive records equal to the previous one (1 = the value moved).
The longest run that ENDED before the current one began is ``longest``; once
``run > factor x longest``
the surprise is ``3 x log2(run / longest)`` (0 otherwise), so a sensor that always
repeated its value is not "stuck" while one that used to move and froze is.
"""

from __future__ import annotations

import math

import msgspec
import numpy as np

from alerts.detectors.ewma import Array

__all__ = ["FlatlineState", "batch", "step"]


class FlatlineState(msgspec.Struct, array_like=True):
    last: float = math.nan
    run: int = 0
    longest: int = 1


def _surprise(run: Array, longest: Array, factor: float) -> Array:
    ratio = run / longest
    return np.where(ratio > factor, 3.0 * np.log2(np.maximum(ratio, 1.0)), 0.0)


def step(st: FlatlineState, factor: float, x: float) -> tuple[float, int]:
    """``(surprise, run)`` for one record; mutates ``st``."""
    if x == st.last:
        st.run += 1
    else:
        st.longest = max(st.longest, st.run)
        st.run = 1
    st.last = x
    ratio = st.run / st.longest
    return (3.0 * math.log2(ratio) if ratio > factor else 0.0), st.run


def batch(x: Array, factor: float) -> tuple[Array, Array]:
    n = len(x)
    same = np.zeros(n, dtype=bool)
    same[1:] = x[1:] == x[:-1]
    starts = np.flatnonzero(~same)
    group = np.cumsum(~same) - 1
    run = (np.arange(n) - starts[group] + 1).astype(np.float64)
    lengths = np.diff(np.r_[starts, n]).astype(np.float64)  # of each run
    before = np.ones(len(lengths))  # longest run ended before each run began
    if len(lengths) > 1:
        before[1:] = np.maximum(np.maximum.accumulate(lengths)[:-1], 1.0)
    longest = before[group]
    return _surprise(run, longest, factor), run
