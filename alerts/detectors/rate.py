"""Rate of change: the step from the previous record against its usual size.

``dx = x - x_prev``; ``z = |dx| / (EWMA of |dx| before this record + floor)``, the floor
being 1e-3 x the mean ``|x|`` (as the baseline's). :func:`step` and :func:`batch`
compute the same numbers.
"""

from __future__ import annotations

import math

import msgspec
import numpy as np

from alerts.detectors.config import Rates
from alerts.detectors.ewma import Array, ewm_prev

__all__ = ["RateState", "batch", "step"]

_FLOOR_REL = 1e-3
_FLOOR_ABS = 1e-9


class RateState(msgspec.Struct, array_like=True):
    last: float = math.nan
    d_s: float = 0.0
    d_w: float = 0.0
    abs_s: float = 0.0
    abs_w: float = 0.0


def step(st: RateState, rt: Rates, x: float) -> tuple[float, float]:
    """``(z, expected |dx|)`` for one record; mutates ``st``."""
    dx = 0.0 if math.isnan(st.last) else x - st.last
    st.last = x
    a = rt.a_scale
    lvl = st.abs_s / st.abs_w if st.abs_w > 0.0 else 0.0
    st.abs_s = a * abs(x) + (1.0 - a) * st.abs_s
    st.abs_w = a + (1.0 - a) * st.abs_w
    sd = (st.d_s / st.d_w if st.d_w > 0.0 else math.inf) + _FLOOR_REL * lvl + _FLOOR_ABS
    st.d_s = a * abs(dx) + (1.0 - a) * st.d_s
    st.d_w = a + (1.0 - a) * st.d_w
    return abs(dx) / sd, sd


def batch(x: Array, rt: Rates) -> tuple[Array, Array]:
    dx = np.diff(x, prepend=x[:1]) if len(x) else np.zeros(0)
    floor = _FLOOR_REL * ewm_prev(np.abs(x), rt.a_scale, 0.0) + _FLOOR_ABS
    sd = ewm_prev(np.abs(dx), rt.a_scale, math.inf) + floor
    return np.abs(dx) / sd, sd
