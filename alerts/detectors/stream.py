"""The envelope shared by every detector: cadence learning, warm-up, score, cool-down.

A detector is an :class:`Envelope` around a *kernel* (the mathematics of one component
or of the combination). The envelope

1. buffers the first ``cadence_records + 1`` records, learns the series' cadence (median
   interval) and replays them into a new kernel state (so half-lives given in hours
   become record counts for this series, causally);
2. turns the kernel's surprise (decades of improbability, ``-log10 p``) into
   ``score = min(1, surprise / log_decades)`` (``component_log_decades`` for a
   component run alone), 0 during the first ``warmup_h``;
3. alerts once, then suppresses (score 0) further crossings of ``threshold`` for
   ``cooldown_h``.

``update`` (streaming, per record) and ``scores`` (a whole series, vectorised) give the
same scores.
"""

from __future__ import annotations

import functools
import itertools
import statistics
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import msgspec
import numpy as np

from alerts.detectors.base import Verdict
from alerts.detectors.config import HOUR_MS, AnomalyConfig, Cadence
from alerts.detectors.ewma import Array, IntArray

__all__ = ["Envelope", "Kernel", "StreamState", "Surprise", "cadence_of"]

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Surprise:
    decades: float  # -log10 p
    low: float | None
    high: float | None
    reason: str


class Kernel(Protocol[K]):
    def init(self) -> K: ...

    def step(self, k: K, cad: Cadence, ts: int, x: float) -> Surprise: ...

    def batch(self, ts: IntArray, x: Array, cad: Cadence) -> Array: ...


class StreamState(msgspec.Struct, Generic[K]):
    """Per-series state of an :class:`Envelope` (mutable, msgspec-serialisable)."""

    n: int = 0
    warm_ts: list[int] = msgspec.field(default_factory=list)
    warm_x: list[float] = msgspec.field(default_factory=list)
    dt_ms: float = 0.0
    last_alert_ms: int | None = None
    kernel: K | None = None


@functools.lru_cache(maxsize=1024)
def cadence_of(cfg: AnomalyConfig, dt_ms: float) -> Cadence:
    return Cadence.of(cfg, dt_ms)


def _interval(ts: list[int]) -> float:
    return max(1.0, float(statistics.median(b - a for a, b in itertools.pairwise(ts))))


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

    def update(
        self, state: StreamState[K], ts_ms: int, value: float
    ) -> tuple[StreamState[K], Verdict]:
        cfg = self.cfg
        state.n += 1
        if state.kernel is None:
            state.warm_ts.append(ts_ms)
            state.warm_x.append(value)
            if len(state.warm_ts) > cfg.cadence_records:
                state.dt_ms = _interval(state.warm_ts)
                cad = cadence_of(cfg, state.dt_ms)
                k = self.kernel.init()
                for t, v in zip(state.warm_ts, state.warm_x, strict=True):
                    self.kernel.step(k, cad, t, v)
                state.kernel = k
                state.warm_ts, state.warm_x = [], []
            return state, Verdict(0.0, value, reason="learning")
        cad = cadence_of(cfg, state.dt_ms)
        s = self.kernel.step(state.kernel, cad, ts_ms, value)
        if state.n <= cad.warmup_records:
            return state, Verdict(0.0, value, s.low, s.high, "learning")
        score = min(1.0, s.decades / self.log_decades)
        reason = s.reason
        if score >= cfg.threshold:
            last = state.last_alert_ms
            if last is not None and ts_ms - last < cfg.cooldown_h * HOUR_MS:
                score, reason = 0.0, f"{reason} (suppressed: alerted {ts_ms - last} ms ago)"
            else:
                state.last_alert_ms = ts_ms
        return state, Verdict(score, value, s.low, s.high, reason)

    def scores(self, ts: IntArray, x: Array) -> Array:
        """The scores ``update`` would give each record of a series from a new state."""
        cfg = self.cfg
        n = len(x)
        out = np.zeros(n)
        if n <= cfg.cadence_records:
            return out
        cad = cadence_of(cfg, _interval([int(t) for t in ts[: cfg.cadence_records + 1]]))
        surprise = self.kernel.batch(ts, x, cad)
        out = np.minimum(1.0, surprise / self.log_decades)
        out[: cad.warmup_records] = 0.0
        cool = cfg.cooldown_h * HOUR_MS
        last: int | None = None
        for i in np.flatnonzero(out >= cfg.threshold):
            t = int(ts[i])
            if last is not None and t - last < cool:
                out[i] = 0.0
            else:
                last = t
        return out
