"""Smart gas meter model: household use with meal peaks, nightly batch uploads, alarms.

A household uses 0.3–1.5 m³ a day (its own mean, varying day to day), spread over the
local day by a profile with breakfast, lunch and dinner peaks and no use at night.
Each meter uploads once a day at its own time between 01:00 and 05:00 local time a
``{"batch": [...]}`` of every interval reading (hourly, or 15-min) since its last
upload: cumulative ``volume_m3`` at the interval's end and the interval's mean
``flow_m3h``. An alarm is uploaded at once, as one record, when it appears.

Consumption of a local day is a pure function of (seed, meter id, day), so the model
is deterministic whatever the upload order. Faults: continuous flow.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Final

from lifeline.core.payloads import MeterAlarm, MeterReading, ValveState
from lifeline.core.registry import Meter
from lifeline.core.topics import DEFAULT_PREFIX, meter_reading_topic
from simulators.scenarios import Scenario, ScenarioKind
from simulators.source import (
    DAY_MS,
    HOUR_MS,
    LOCAL_UTC_OFFSET_MS,
    Emission,
    encode,
    source_rng,
)

__all__ = ["HOURLY_PROFILE", "MeterSim"]

# Share of a day's gas per local hour: meal peaks at 07, 12 and 18-19, none at night.
_WEIGHTS: Final = (
    0, 0, 0, 0, 0, 0, 3, 12, 6, 2, 2, 10, 14, 3, 2, 2, 2, 10, 16, 10, 5, 4, 2, 0,
)  # fmt: skip
HOURLY_PROFILE: Final = tuple(w / sum(_WEIGHTS) for w in _WEIGHTS)
_UPLOAD_WINDOW_MS: Final = (1 * HOUR_MS, 5 * HOUR_MS)


class MeterSim:
    """One household's smart gas meter."""

    def __init__(
        self,
        meter: Meter,
        seed: int,
        start_ms: int,
        scenarios: Sequence[Scenario] = (),
        prefix: str = DEFAULT_PREFIX,
        interval_min: int = 60,
    ) -> None:
        if interval_min not in (15, 60):
            raise ValueError("meter interval must be 15 or 60 minutes")
        rng = source_rng(seed, meter.id)
        self._seed = seed
        self._rng = rng
        self._meter = meter
        self._topic = meter_reading_topic(meter.id, prefix)
        self._scenarios = [
            s
            for s in scenarios
            if s.source_id == meter.id and s.kind is ScenarioKind.METER_CONTINUOUS_FLOW
        ]
        self._interval_ms = interval_min * 60_000
        self._daily_mean_m3 = rng.uniform(0.4, 1.3)
        self._volume_m3 = rng.uniform(50.0, 3_000.0)
        self._battery_v = rng.uniform(3.4, 3.6)
        self._signal_dbm = rng.uniform(-110.0, -70.0)
        # The meter already holds a day of history when the simulation starts.
        self._covered_ms = start_ms - start_ms % self._interval_ms - DAY_MS
        self._upload_at_local_ms = rng.randint(*_UPLOAD_WINDOW_MS)
        self._next_upload = self._next_upload_after(start_ms)
        self._pending_alarms = sorted(
            (s.start_ms + round(s.param("alarm_after_h") * HOUR_MS), s) for s in self._scenarios
        )
        self._cache: tuple[int, list[float]] | None = None

    @property
    def source_id(self) -> str:
        return self._meter.id

    def next_due_ms(self) -> int:
        if self._pending_alarms:
            return min(self._next_upload, self._pending_alarms[0][0])
        return self._next_upload

    def emit(self, now_ms: int) -> list[Emission]:
        out: list[Emission] = []
        while self._pending_alarms and self._pending_alarms[0][0] <= now_ms:
            _, scenario = self._pending_alarms.pop(0)
            if scenario.active(now_ms):
                out.append(Emission(self._topic, encode(self._alarm_record(now_ms))))
        if now_ms >= self._next_upload:
            out.append(Emission(self._topic, encode({"batch": self._intervals_until(now_ms)})))
            self._next_upload = self._next_upload_after(now_ms)
        return out

    def _next_upload_after(self, ts_ms: int) -> int:
        local = ts_ms + LOCAL_UTC_OFFSET_MS
        candidate = local - local % DAY_MS + self._upload_at_local_ms - LOCAL_UTC_OFFSET_MS
        return candidate if candidate > ts_ms else candidate + DAY_MS

    def _day_quarters(self, local_day: int) -> list[float]:
        """m³ used in each of the 96 quarter hours of a local day (pure in seed/id/day)."""
        if self._cache is not None and self._cache[0] == local_day:
            return self._cache[1]
        rng = random.Random(f"{self._seed}:{self._meter.id}:{local_day}")
        total = min(1.5, max(0.3, self._daily_mean_m3 * rng.lognormvariate(0.0, 0.2)))
        hours = [share * rng.lognormvariate(0.0, 0.4) for share in HOURLY_PROFILE]
        scale = total / sum(hours)
        quarters: list[float] = []
        for used in hours:
            split = [rng.random() for _ in range(4)]
            quarters.extend(used * scale * part / sum(split) for part in split)
        self._cache = (local_day, quarters)
        return quarters

    def _used_m3(self, begin_ms: int, end_ms: int) -> float:
        """Gas through the meter in ``[begin_ms, end_ms)`` (whole or partial quarters)."""
        quarter = DAY_MS // 96
        used = 0.0
        t = begin_ms
        while t < end_ms:
            local = t + LOCAL_UTC_OFFSET_MS
            q_start = t - local % quarter
            q_end = min(q_start + quarter, end_ms)
            share = (q_end - t) / quarter
            used += self._day_quarters(local // DAY_MS)[(local % DAY_MS) // quarter] * share
            used += self._extra_flow_m3(t, q_end)
            t = q_end
        return used

    def _extra_flow_m3(self, begin_ms: int, end_ms: int) -> float:
        extra = 0.0
        for scenario in self._scenarios:
            lo = max(begin_ms, scenario.start_ms)
            hi = end_ms if scenario.end_ms is None else min(end_ms, scenario.end_ms)
            if hi > lo:
                extra += scenario.param("flow_m3h") * (hi - lo) / HOUR_MS
        return extra

    def _alarms_at(self, ts_ms: int) -> list[MeterAlarm]:
        for scenario in self._scenarios:
            raised = scenario.start_ms + round(scenario.param("alarm_after_h") * HOUR_MS)
            if raised <= ts_ms and scenario.active(ts_ms):
                return [MeterAlarm.CONTINUOUS_FLOW]
        return []

    def _record(self, ts_ms: int, volume: float, flow: float) -> MeterReading:
        rng = self._rng
        self._battery_v -= 2e-5  # a few years of uploads on one battery
        return MeterReading(
            ts=ts_ms,
            volume_m3=round(volume, 3),
            flow_m3h=round(flow, 4),
            battery_v=round(self._battery_v + rng.gauss(0, 0.003), 3),
            valve=ValveState.OPEN,
            signal_dbm=round(min(-40.0, self._signal_dbm + rng.gauss(0, 2.0)), 1),
            alarms=self._alarms_at(ts_ms),
        )

    def _intervals_until(self, now_ms: int) -> list[MeterReading]:
        records: list[MeterReading] = []
        hours = self._interval_ms / HOUR_MS
        while self._covered_ms + self._interval_ms <= now_ms:
            end = self._covered_ms + self._interval_ms
            used = self._used_m3(self._covered_ms, end)
            self._volume_m3 += used
            records.append(self._record(end, self._volume_m3, used / hours))
            self._covered_ms = end
        return records

    def _alarm_record(self, now_ms: int) -> MeterReading:
        since = now_ms - self._interval_ms
        volume = self._volume_m3 + self._used_m3(self._covered_ms, now_ms)
        flow = self._used_m3(since, now_ms) / (self._interval_ms / HOUR_MS)
        return self._record(now_ms, volume, flow)
