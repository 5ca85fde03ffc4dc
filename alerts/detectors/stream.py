"""The envelope shared by every detector: learning, score, alert once with a cool-down.

A detector is an :class:`Envelope` around a *kernel* (the mathematics of one component
or of the combination). Everything is counted in records (no cadence is assumed, so
the same configuration works at 1 s, 1 min or 5 min, and a gap is just a longer step):

1. the kernel learns from the first record on; its verdicts score 0 ("learning") for
   the first ``learn_records`` records;
2. the kernel's surprise (decades of improbability, ``-log10 p``) becomes
   ``score = min(1, surprise / log_decades)`` (``component_log_decades`` for a
   component run alone);
3. a score >= ``threshold`` alerts; further crossings within ``cooldown_records``
   records score 0, unless their surprise is ``cooldown_break`` times the largest one
   since the alert (a far stronger anomaly right after a weak one is a new alert: a
   false alarm's cool-down must not swallow a real detection; an anomaly that builds
   up record by record never doubles its own running peak, so it alerts once).

``update`` (streaming, per record) and ``scores`` (a whole series, vectorised) give the
same scores.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import msgspec
import numpy as np

from alerts.detectors.base import Verdict
from alerts.detectors.config import AnomalyConfig, Rates
from alerts.detectors.ewma import Array, IntArray

__all__ = ["Envelope", "Kernel", "StreamState", "Surprise", "rates_of"]

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Surprise:
    decades: float  # -log10 p
    low: float | None
    high: float | None
    reason: str


class Kernel(Protocol[K]):
    def init(self) -> K: ...

    def step(self, k: K, rt: Rates, ts: int, x: float) -> Surprise: ...

    def batch(self, ts: IntArray, x: Array, rt: Rates) -> Array: ...


class StreamState(msgspec.Struct, Generic[K]):
    """Per-series state of an :class:`Envelope` (mutable, msgspec-serialisable)."""

    n: int = 0  # records seen
    alert_n: int | None = None  # record number of the last alert
    peak_decades: float = 0.0  # largest surprise since it (a break-through needs
    # cooldown_break x this)
    kernel: K | None = None


@functools.lru_cache(maxsize=64)
def rates_of(cfg: AnomalyConfig) -> Rates:
    return Rates.of(cfg)


class Envelope(Generic[K]):
    """A :class:`~alerts.detectors.base.Detector` around one kernel."""

    def __init__(
        self, name: str, kernel: Kernel[K], cfg: AnomalyConfig, log_decades: float | None = None
    ) -> None:
        self.name = name
        self.kernel = kernel
        self.cfg = cfg
        self.log_decades = cfg.log_decades if log_decades is None else log_decades

    def new_state(self) -> StreamState[K]:
        return StreamState()

    def _cooling(self, n: int, decades: float, alert_n: int | None, peak: float) -> bool:
        cfg = self.cfg
        if alert_n is None or n - alert_n >= cfg.cooldown_records:
            return False
        return decades < cfg.cooldown_break * peak

    def update(
        self, state: StreamState[K], ts_ms: int, value: float
    ) -> tuple[StreamState[K], Verdict]:
        cfg = self.cfg
        rt = rates_of(cfg)
        state.n += 1
        if state.kernel is None:
            state.kernel = self.kernel.init()
        s = self.kernel.step(state.kernel, rt, ts_ms, value)
        if state.n <= cfg.learn_records:
            return state, Verdict(0.0, value, s.low, s.high, "learning")
        score = min(1.0, s.decades / self.log_decades)
        reason = s.reason
        if score >= cfg.threshold:
            if self._cooling(state.n, s.decades, state.alert_n, state.peak_decades):
                ago = state.n - (state.alert_n or 0)
                score, reason = 0.0, f"{reason} (suppressed: alerted {ago} records ago)"
                state.peak_decades = max(state.peak_decades, s.decades)
            else:
                state.alert_n, state.peak_decades = state.n, s.decades
        return state, Verdict(score, value, s.low, s.high, reason)

    def scores(self, ts: IntArray, x: Array) -> Array:
        """The scores ``update`` would give each record of a series from a new state."""
        cfg = self.cfg
        if len(x) == 0:
            return np.zeros(0)
        surprise = self.kernel.batch(ts, x, rates_of(cfg))
        out = np.minimum(1.0, surprise / self.log_decades)
        out[: cfg.learn_records] = 0.0
        alert_n: int | None = None
        peak = 0.0  # records below the threshold never raise it (their surprise is smaller)
        for i in np.flatnonzero(out >= cfg.threshold):
            n = int(i) + 1
            d = float(surprise[i])
            if self._cooling(n, d, alert_n, peak):
                out[i] = 0.0
                peak = max(peak, d)
            else:
                alert_n, peak = n, d
        return out
