"""Arithmetic shared by the domain detectors: time decay, edge scores, chi-square tails.

Score convention of every ``domain_*`` detector: ``0.5`` at the edge of the expected
range, ``1.0`` at twice that distance from its centre, ``0`` inside (see
:func:`edge_score`). Rules therefore use ``threshold: 0.5`` for "outside the expected
range" and higher values to ask for more. The multivariate detector is the exception:
its score is ``1 - chi-square tail`` (see :func:`chi2_sf`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

__all__ = [
    "HOUR_MS",
    "MINUTE_MS",
    "chi2_isf",
    "chi2_sf",
    "decay",
    "edge_score",
    "local_hour",
    "theil_sen",
]

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 3_600_000


def decay(dt_ms: int, half_life_ms: float) -> float:
    """Weight left to old data after ``dt_ms`` of event time (1 for dt <= 0)."""
    if dt_ms <= 0:
        return 1.0
    return float(0.5 ** (dt_ms / half_life_ms))


def edge_score(distance: float, width: float) -> float:
    """0.5 at ``distance == width`` (the edge of the expected range), clipped to [0, 1]."""
    if width <= 0.0:
        return 1.0 if distance > 0.0 else 0.0
    return min(1.0, max(0.0, 0.5 * distance / width))


def theil_sen(ts_ms: Sequence[int], values: Sequence[float], per_ms: float) -> float:
    """Median of the pairwise slopes (value per ``per_ms``): one outlier cannot move it."""
    n = len(ts_ms)
    slopes = sorted(
        (values[j] - values[i]) / (ts_ms[j] - ts_ms[i])
        for i in range(n - 1)
        for j in range(i + 1, n)
        if ts_ms[j] > ts_ms[i]
    )
    if not slopes:
        return 0.0
    mid = len(slopes) // 2
    median = slopes[mid] if len(slopes) % 2 else 0.5 * (slopes[mid - 1] + slopes[mid])
    return median * per_ms


def local_hour(ts_ms: int, utc_offset_h: float) -> float:
    """Hour of the local day (0 <= h < 24)."""
    return ((ts_ms / HOUR_MS + utc_offset_h) % 24.0 + 24.0) % 24.0


def chi2_sf(x: float, dof: int) -> float:
    """Upper tail P(X > x) of a chi-square with ``dof`` degrees of freedom (exact series)."""
    if x <= 0.0:
        return 1.0
    half = 0.5 * x
    if dof % 2 == 0:
        term = math.exp(-half)
        total = term
        for i in range(1, dof // 2):
            term *= half / i
            total += term
        return min(1.0, total)
    root = math.sqrt(half)
    total = math.erfc(root)
    term = math.exp(-half) * root / math.gamma(1.5)  # (x/2)^(1/2) e^(-x/2) / Γ(3/2)
    for k in range(1, (dof - 1) // 2 + 1):
        total += term
        term *= half / (k + 0.5)
    return min(1.0, total)


def chi2_isf(tail: float, dof: int) -> float:
    """The ``x`` with ``chi2_sf(x, dof) == tail`` (bisection; used once per detector)."""
    lo, hi = 0.0, float(dof)
    while chi2_sf(hi, dof) > tail:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if chi2_sf(mid, dof) > tail:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
