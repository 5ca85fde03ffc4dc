"""Anomaly likelihood: how unusual is the recent surprise for THIS series?

Numenta's idea: judge a raw anomaly score against the score's own history. ``u`` (the
combined raw surprise) has a long-run mean and variance (EWMAs over
``likelihood_half_life`` records, before this record); its short-term average ``u_short``
(EWMA, half-life ``likelihood_short`` records) gives ``z = (u_short - mean) / std``
and the Gaussian tail ``p = Q(z)``. The result is ``-log10 p`` (decades of improbability).
A noisy series thus needs a bigger raw surprise than a quiet one. ``clip`` bounds what
one record adds to the long-run mean and variance (the drift likelihood uses it: one
long excursion must not make the series deaf to drifts for weeks; the short mean is not
clipped).
"""

from __future__ import annotations

import math

import msgspec
import numpy as np
from scipy.special import erfc

from alerts.detectors.config import Rates
from alerts.detectors.ewma import Array, ewm, ewm_prev

__all__ = ["LikelihoodState", "batch", "step"]

_TINY = 1e-300
_VAR_EPS = 1e-12


class LikelihoodState(msgspec.Struct, array_like=True):
    mu_s: float = 0.0
    mu_w: float = 0.0
    v_s: float = 0.0
    v_w: float = 0.0
    sh_s: float = 0.0
    sh_w: float = 0.0


def step(st: LikelihoodState, rt: Rates, u: float, clip: float = math.inf) -> float:
    mu = st.mu_s / st.mu_w if st.mu_w > 0.0 else 0.0
    var = st.v_s / st.v_w if st.v_w > 0.0 else 1.0
    a = rt.a_lik
    uc = min(u, clip)
    st.mu_s = a * uc + (1.0 - a) * st.mu_s
    st.mu_w = a + (1.0 - a) * st.mu_w
    st.v_s = a * (uc - mu) ** 2 + (1.0 - a) * st.v_s
    st.v_w = a + (1.0 - a) * st.v_w
    b = rt.a_short
    st.sh_s = b * u + (1.0 - b) * st.sh_s
    st.sh_w = b + (1.0 - b) * st.sh_w
    z = (st.sh_s / st.sh_w - mu) / math.sqrt(var + _VAR_EPS)
    return -math.log10(max(0.5 * math.erfc(z / math.sqrt(2.0)), _TINY))


def batch(u: Array, rt: Rates, clip: float = math.inf) -> Array:
    uc = np.minimum(u, clip)
    mu = ewm_prev(uc, rt.a_lik, 0.0)
    var = ewm_prev((uc - mu) ** 2, rt.a_lik, 1.0)
    z = (ewm(u, rt.a_short) - mu) / np.sqrt(var + _VAR_EPS)
    p = 0.5 * np.asarray(erfc(z / math.sqrt(2.0)), dtype=np.float64)
    return np.asarray(-np.log10(np.maximum(p, _TINY)), dtype=np.float64)
