"""Debiased exponentially weighted means, streaming and batch, with identical arithmetic.

A mean is the pair ``(s, w)``: ``s <- a*x + (1-a)*s`` and ``w <- a + (1-a)*w`` from
``(0, 0)``; its value is ``s / w`` (so the first record is its own mean, no start-up bias).
The batch form runs the same recurrence with ``scipy.signal.lfilter``, which performs the
same two operations per row, so both paths agree to rounding.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

__all__ = ["Array", "IntArray", "ewm", "ewm_prev"]

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def ewm(x: Array, a: float) -> Array:
    """The debiased mean after each row (row i includes rows 0..i)."""
    if len(x) == 0:
        return np.zeros(0)
    den = [1.0, -(1.0 - a)]
    s = np.asarray(lfilter([a], den, x), dtype=np.float64)
    w = np.asarray(lfilter([a], den, np.ones(len(x))), dtype=np.float64)
    return s / w


def ewm_prev(x: Array, a: float, first: float) -> Array:
    """The debiased mean BEFORE each row (rows 0..i-1); ``first`` at row 0."""
    out = np.empty(len(x))
    if len(x):
        out[0] = first
        out[1:] = ewm(x[:-1], a)
    return out
