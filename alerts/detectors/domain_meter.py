"""Smart-meter detectors on ``volume_m3`` (cumulative): continuous flow and micro leak.

Both work on the meter's interval readings (hourly or 15-min, uploaded in a nightly
batch): the flow of an interval is the volume delta over its duration, so they need
neither ``flow_m3h`` nor the meter's own alarm flags. A gap longer than ``max_gap_s``
(unknown use in between) or a volume that goes backwards (reset, tamper) restarts them.
Night is local time (``utc_offset_h``, the city runs on UTC+8).

- :class:`ContinuousFlow` — the flow has not returned to ~0 (``floor_m3h``) for
  ``hours`` AND the run covers ``night_hours`` of the night window: households sleep,
  so gas flowing all evening and through the night is a stove left on or a leak.
- :class:`MicroLeak` — a small steady flow (``low_m3h``..``high_m3h``) in every
  interval of ``hours`` of night: a leak downstream of the meter. Day intervals
  neither count nor reset (cooking hides a small leak); a night interval outside the
  band resets.

Scores follow :mod:`domain_common` (0.5 when the signature is complete).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from alerts.detectors.base import Verdict
from alerts.detectors.domain_common import HOUR_MS, edge_score

__all__ = [
    "ContinuousFlow",
    "ContinuousFlowConfig",
    "FlowState",
    "MicroLeak",
    "MicroLeakConfig",
    "MicroLeakState",
    "night_ms",
]

_DAY_MS = 24 * HOUR_MS
Positive = Annotated[float, Meta(gt=0.0)]
Hour = Annotated[float, Meta(ge=0.0, le=24.0)]


def night_ms(
    begin_ms: int, end_ms: int, night_start_h: float, night_end_h: float, utc_offset_h: float
) -> int:
    """Milliseconds of ``[begin_ms, end_ms)`` inside the local night window (computed,
    not sampled: the overlap with each day's window)."""
    if end_ms <= begin_ms:
        return 0
    offset = int(utc_offset_h * HOUR_MS)
    begin, end = begin_ms + offset, end_ms + offset  # local time, ms since a local midnight
    start, stop = int(night_start_h * HOUR_MS), int(night_end_h * HOUR_MS)
    windows = ((start, stop),) if start <= stop else ((0, stop), (start, _DAY_MS))
    total = 0
    for day in range(begin // _DAY_MS, (end - 1) // _DAY_MS + 1):
        midnight = day * _DAY_MS
        for lo, hi in windows:
            overlap = min(end, midnight + hi) - max(begin, midnight + lo)
            if overlap > 0:
                total += overlap
    return total


class _NightWindow(msgspec.Struct, frozen=True):
    night_start_h: Hour = 0.0
    night_end_h: Hour = 5.0
    utc_offset_h: Annotated[float, Meta(ge=-14.0, le=14.0)] = 8.0
    max_gap_s: Positive = 3 * 3600.0


class ContinuousFlowConfig(_NightWindow, frozen=True, forbid_unknown_fields=True):
    night_start_h: Hour = 23.0  # the household is asleep from 23:00
    floor_m3h: Positive = 0.02  # "~0": below this the flow has stopped
    hours: Positive = 8.0  # run length for score 0.5 ...
    night_hours: Positive = 2.0  # ... and this much of it at night


class FlowState(msgspec.Struct, array_like=True):
    last_ts: int = 0
    last_volume: float = -1.0  # < 0: nothing seen yet
    run_start: int = 0  # 0 = no run
    run_night_ms: int = 0


class ContinuousFlow:
    """Gas flowing without a break, night included; observed = interval flow, m³/h."""

    name = "continuous_flow"

    def __init__(self, config: ContinuousFlowConfig | None = None) -> None:
        self.config = config or ContinuousFlowConfig()

    def new_state(self) -> FlowState:
        return FlowState()

    def update(self, state: FlowState, ts_ms: int, value: float) -> tuple[FlowState, Verdict]:
        cfg = self.config
        dt = ts_ms - state.last_ts
        if state.last_volume < 0 or value < state.last_volume or dt > cfg.max_gap_s * 1000:
            return FlowState(ts_ms, value), Verdict(0.0, 0.0)
        flow = (value - state.last_volume) * HOUR_MS / dt if dt > 0 else 0.0
        if flow < cfg.floor_m3h:
            return FlowState(ts_ms, value), Verdict(0.0, flow, 0.0, cfg.floor_m3h)
        start = state.run_start or state.last_ts
        night = state.run_night_ms + night_ms(
            state.last_ts, ts_ms, cfg.night_start_h, cfg.night_end_h, cfg.utc_offset_h
        )
        run_h, night_h = (ts_ms - start) / HOUR_MS, night / HOUR_MS
        score = min(edge_score(run_h, cfg.hours), edge_score(night_h, cfg.night_hours))
        reason = (
            f"flow >= {cfg.floor_m3h:g} m³/h without a break for {run_h:.1f} h, "
            f"{night_h:.1f} h of it at night"
            if score >= 0.25
            else ""
        )
        verdict = Verdict(score, flow, 0.0, cfg.floor_m3h, reason)
        return FlowState(ts_ms, value, start, night), verdict


class MicroLeakConfig(_NightWindow, frozen=True, forbid_unknown_fields=True):
    low_m3h: Positive = 0.005
    high_m3h: Positive = 0.05
    hours: Positive = 3.0  # night hours in the band for score 0.5
    steadiness: Annotated[float, Meta(ge=1.0)] = 4.0  # max/min flow within the run


class MicroLeakState(msgspec.Struct, array_like=True):
    last_ts: int = 0
    last_volume: float = -1.0
    band_ms: int = 0  # night time in the band, consecutive night intervals
    low: float = 0.0  # smallest and largest in-band night flow of the run
    high: float = 0.0


class MicroLeak:
    """A small steady night flow; observed = interval flow, m³/h."""

    name = "micro_leak"

    def __init__(self, config: MicroLeakConfig | None = None) -> None:
        cfg = config or MicroLeakConfig()
        if cfg.high_m3h <= cfg.low_m3h:
            raise ValueError("micro_leak: high_m3h must be above low_m3h")
        self.config = cfg

    def new_state(self) -> MicroLeakState:
        return MicroLeakState()

    def update(
        self, state: MicroLeakState, ts_ms: int, value: float
    ) -> tuple[MicroLeakState, Verdict]:
        cfg = self.config
        dt = ts_ms - state.last_ts
        if state.last_volume < 0 or value < state.last_volume or dt > cfg.max_gap_s * 1000:
            return MicroLeakState(ts_ms, value), Verdict(0.0, 0.0)
        flow = (value - state.last_volume) * HOUR_MS / dt if dt > 0 else 0.0
        night = night_ms(state.last_ts, ts_ms, cfg.night_start_h, cfg.night_end_h, cfg.utc_offset_h)
        new = MicroLeakState(ts_ms, value, state.band_ms, state.low, state.high)
        if night * 2 >= dt:  # a night interval
            low = min(flow, state.low) if state.band_ms else flow
            high = max(flow, state.high) if state.band_ms else flow
            if cfg.low_m3h <= flow <= cfg.high_m3h and high <= cfg.steadiness * low:
                new.band_ms, new.low, new.high = state.band_ms + dt, low, high
            else:
                new.band_ms, new.low, new.high = 0, 0.0, 0.0
        hours = new.band_ms / HOUR_MS
        score = edge_score(hours, cfg.hours)
        reason = (
            f"steady night flow {new.low:.3f}-{new.high:.3f} m³/h for {hours:.1f} h"
            if new.band_ms
            else ""
        )
        return new, Verdict(score, flow, 0.0, cfg.low_m3h, reason)
