"""Gas-channel detectors on ``lel_pct``: rate of rise, baseline drift, stuck value.

- :class:`RateOfRise` — early leak warning: the Theil–Sen slope of the last ``window``
  readings (robust to one bad reading) above ``max(min_rate, k × learned normal
  slope)``, in %LEL/min, while the threshold rule (20 %LEL) has not yet fired.
- :class:`BaselineDrift` — slow creep of the baseline (sensor drift, poisoning, a very
  slow seep): the slope of an exponentially weighted least-squares line over hours,
  in %LEL/h, above ``max(min_rate, k × learned slope scale)``. Readings far off the
  line (a leak, fumes) are left out of it: fast changes are rate of rise's business.
- :class:`StuckValue` — a networked detector repeating the very same value: real
  sensors jitter. Zero (clean air) is ignored by default.

Scores follow :mod:`domain_common` (0.5 at the edge of the expected range).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from alerts.detectors.base import Verdict
from alerts.detectors.domain_common import HOUR_MS, MINUTE_MS, decay, edge_score, theil_sen

__all__ = [
    "BaselineDrift",
    "BaselineDriftConfig",
    "DriftState",
    "RateOfRise",
    "RateOfRiseConfig",
    "RiseState",
    "StuckValue",
    "StuckValueConfig",
    "StuckValueState",
]

Positive = Annotated[float, Meta(gt=0.0)]
_EXPLAIN_FROM = 0.25  # below this score a verdict carries no reason (saves formatting)
_MAX_WINDOW = 20


# ---------------------------------------------------------------- rate of rise


class RateOfRiseConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    window: Annotated[int, Meta(ge=3, le=20)] = 6  # readings in the slope ...
    min_span_s: Positive = 90.0  # ... or more (up to 20) to cover at least this much time
    max_span_s: Positive = 900.0  # older readings leave the window
    min_rate_pct_per_min: Positive = 0.5  # never alarm below this rise
    k: Positive = 6.0  # times the learned normal |slope|
    half_life_s: Positive = 6 * 3600.0  # learning of the normal |slope|


class RiseState(msgspec.Struct, array_like=True):
    ts: list[int] = []
    values: list[float] = []
    scale: float = 0.0  # EW mean |slope| of normal readings, %LEL/min
    learned: int = 0


class RateOfRise:
    """Gas rising faster than normal (see module docstring); observed = %LEL/min."""

    name = "rate_of_rise"

    def __init__(self, config: RateOfRiseConfig | None = None) -> None:
        self.config = config or RateOfRiseConfig()
        self._half_life_ms = self.config.half_life_s * 1000

    def new_state(self) -> RiseState:
        return RiseState()

    def update(self, state: RiseState, ts_ms: int, value: float) -> tuple[RiseState, Verdict]:
        cfg = self.config
        horizon = ts_ms - int(cfg.max_span_s * 1000)
        min_span = int(cfg.min_span_s * 1000)
        first = max(0, len(state.ts) - (cfg.window - 1))
        while first > 0 and len(state.ts) - first < _MAX_WINDOW - 1:  # fast cadence (in
            if ts_ms - state.ts[first] >= min_span:  # alarm): more readings, same span
                break
            first -= 1
        while first < len(state.ts) and state.ts[first] <= horizon:
            first += 1
        ts = [*state.ts[first:], ts_ms]
        values = [*state.values[first:], value]
        if len(ts) < 3 or ts_ms - ts[0] < min_span:
            return RiseState(ts, values, state.scale, state.learned), Verdict(0.0, 0.0)
        n = len(ts)
        if n > cfg.window:  # fast cadence: `window` readings spread evenly over the span
            picks = [round(i * (n - 1) / (cfg.window - 1)) for i in range(cfg.window)]
            slope = theil_sen([ts[i] for i in picks], [values[i] for i in picks], MINUTE_MS)
        else:
            slope = theil_sen(ts, values, MINUTE_MS)
        limit = max(cfg.min_rate_pct_per_min, cfg.k * 1.25 * state.scale)
        score = edge_score(slope, limit)
        scale, learned = state.scale, state.learned
        if score < 0.5:
            w = 1.0 - decay(ts[-1] - ts[-2], self._half_life_ms)
            w = max(w, 1.0 / (learned + 1))
            scale += w * (abs(slope) - scale)
            learned += 1
        reason = ""
        if score >= _EXPLAIN_FROM:
            reason = f"rising {slope:.2f} %LEL/min over {len(ts)} readings (expected < {limit:.2f})"
        verdict = Verdict(score, slope, -limit, limit, reason)
        return RiseState(ts, values, scale, learned), verdict


# ---------------------------------------------------------------- baseline drift


class BaselineDriftConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    half_life_s: Positive = 3600.0  # memory of the regression line
    min_rate_pct_per_h: Positive = 0.6  # never alarm below this creep
    k: Positive = 4.0  # times the learned |slope| scale
    scale_half_life_s: Positive = 24 * 3600.0
    warmup_s: Positive = 2 * 3600.0  # no verdict before this much data
    max_jump_pct: Positive = 3.0  # a reading this far off the line is an event, not creep
    max_jumps: Annotated[int, Meta(ge=1)] = 5  # this many in a row: a new level, restart


class DriftState(msgspec.Struct, array_like=True):
    """Decayed sums of the regression (t in hours relative to ``last_ts``)."""

    last_ts: int = 0
    first_ts: int = 0
    s0: float = 0.0
    s1: float = 0.0
    s2: float = 0.0
    sy: float = 0.0
    sty: float = 0.0
    scale: float = 0.0  # EW mean |slope| while normal, %LEL/h
    learned: int = 0
    jumps: int = 0  # consecutive readings off the line (left out of it)


class BaselineDrift:
    """Slow upward creep of the baseline; observed = slope in %LEL/h.

    A reading more than ``max_jump_pct`` off the line (a leak, fumes, a bump test) is
    left out of it: creep is slow by definition, fast changes are rate of rise's. After
    ``max_jumps`` such readings in a row the level has moved: the line starts again (with
    a new warm-up), the learned slope scale is kept.
    """

    name = "baseline_drift"

    def __init__(self, config: BaselineDriftConfig | None = None) -> None:
        self.config = config or BaselineDriftConfig()
        self._half_life_ms = self.config.half_life_s * 1000
        self._scale_half_life_ms = self.config.scale_half_life_s * 1000

    def new_state(self) -> DriftState:
        return DriftState()

    def update(self, state: DriftState, ts_ms: int, value: float) -> tuple[DriftState, Verdict]:
        cfg = self.config
        if state.s0 == 0.0:
            fresh = DriftState(ts_ms, ts_ms, 1.0, 0.0, 0.0, value, 0.0, state.scale, state.learned)
            return fresh, Verdict(0.0, 0.0)
        dt_ms = ts_ms - state.last_ts
        shift = dt_ms / HOUR_MS  # old points move back by `shift` hours
        s0, s1, s2, sy, sty = state.s0, state.s1, state.s2, state.sy, state.sty
        det = s0 * s2 - s1 * s1
        old_slope = (s0 * sty - s1 * sy) / det if det > 1e-12 else 0.0
        predicted = (sy - old_slope * s1) / s0 + old_slope * shift
        if abs(value - predicted) > cfg.max_jump_pct:
            if state.jumps + 1 >= cfg.max_jumps:
                fresh = DriftState(
                    ts_ms, ts_ms, 1.0, 0.0, 0.0, value, 0.0, state.scale, state.learned
                )
                return fresh, Verdict(0.0, 0.0)
            return msgspec.structs.replace(state, jumps=state.jumps + 1), Verdict(0.0, old_slope)
        d = decay(dt_ms, self._half_life_ms)
        s2 = (s2 - 2 * shift * s1 + shift * shift * s0) * d
        s1 = (s1 - shift * s0) * d
        sty = (sty - shift * sy) * d
        s0 = s0 * d + 1.0
        sy = sy * d + value
        det = s0 * s2 - s1 * s1
        slope = (s0 * sty - s1 * sy) / det if det > 1e-12 else 0.0
        new = DriftState(ts_ms, state.first_ts, s0, s1, s2, sy, sty, state.scale, state.learned)
        span_ms = ts_ms - state.first_ts
        if span_ms < cfg.warmup_s * 1000:
            if span_ms >= self._half_life_ms:  # before that the line is mostly noise
                new.scale += (abs(slope) - new.scale) / (new.learned + 1)
                new.learned += 1
            return new, Verdict(0.0, slope)
        limit = max(cfg.min_rate_pct_per_h, cfg.k * 1.25 * new.scale)
        score = edge_score(slope, limit)
        if score < 0.25:  # learn from clearly normal lines only: a creep must not teach
            new.scale += (1.0 - decay(dt_ms, self._scale_half_life_ms)) * (abs(slope) - new.scale)
            new.learned += 1
        reason = ""
        if score >= _EXPLAIN_FROM:
            reason = f"baseline creeping {slope:+.2f} %LEL/h (expected within ±{limit:.2f})"
        return new, Verdict(score, slope, -limit, limit, reason)


# ---------------------------------------------------------------- stuck value


class StuckValueConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    records: Annotated[int, Meta(ge=2)] = 10  # identical readings for score 0.5
    tolerance: Annotated[float, Meta(ge=0.0)] = 0.0
    ignore_at_or_below: float | None = 0.0  # clean air reads 0: not evidence


class StuckValueState(msgspec.Struct, array_like=True):
    ref: float = 0.0
    run: int = 0  # readings in the current run (0 = no run)
    since_ts: int = 0


class StuckValue:
    """The very same value over and over; observed = readings in the run (expected below
    ``records``), score 0.5 at ``records``."""

    name = "stuck_value"

    def __init__(self, config: StuckValueConfig | None = None) -> None:
        self.config = config or StuckValueConfig()

    def new_state(self) -> StuckValueState:
        return StuckValueState()

    def update(
        self, state: StuckValueState, ts_ms: int, value: float
    ) -> tuple[StuckValueState, Verdict]:
        cfg = self.config
        if cfg.ignore_at_or_below is not None and value <= cfg.ignore_at_or_below:
            return StuckValueState(), Verdict(0.0, 0, 0.0, cfg.records - 1)
        if state.run > 0 and abs(value - state.ref) <= cfg.tolerance:
            new = StuckValueState(state.ref, state.run + 1, state.since_ts)
        else:
            new = StuckValueState(value, 1, ts_ms)
        score = edge_score(new.run - 1, cfg.records - 1)
        if score < _EXPLAIN_FROM:
            return new, Verdict(score, new.run, 0.0, cfg.records - 1)
        minutes = (ts_ms - new.since_ts) / MINUTE_MS
        reason = f"same value {value:g} for {new.run} readings ({minutes:.0f} min)"
        return new, Verdict(score, new.run, 0.0, cfg.records - 1, reason)
