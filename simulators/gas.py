"""Gas-leak alarm channel model: readings, heartbeats and the controller's events.

A healthy detector reads a small baseline (0.3–2 %LEL; valve wells and manholes a bit
higher, 1–3) with an AR(1) wander and noise, reported every 30–60 s (staggered per
channel), plus temperature, humidity, battery and signal. A heartbeat event goes out
every 5–15 min. Like a real alarm controller the channel raises ``alarm_low`` (+ fan
on) when the reading reaches the channel's low set-point, ``alarm_high`` (+ valve
closed) at the high one, and ``alarm_cleared`` (+ fan off) once it falls 5 %LEL below
the low set-point.

Faults (see ``scenarios``): leak ramp, drift, stuck value, offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from lifeline.core.payloads import GasEvent, GasEventType, GasReading
from lifeline.core.registry import Channel
from lifeline.core.topics import DEFAULT_PREFIX, gas_event_topic, gas_reading_topic
from simulators.scenarios import Scenario, ScenarioKind
from simulators.source import (
    HOUR_MS,
    Emission,
    diurnal,
    encode,
    source_rng,
)

__all__ = ["GasChannelSim"]

_OUTDOOR_SITES: Final = frozenset({"valve_well", "utility_manhole", "regulator_station"})
_ALARM_READING_MS: Final = 10_000  # a controller in alarm reports faster
_CLEAR_HYSTERESIS_PCT: Final = 5.0


class GasChannelSim:
    """One gas-leak alarm channel."""

    def __init__(
        self,
        channel: Channel,
        seed: int,
        start_ms: int,
        scenarios: Sequence[Scenario] = (),
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        rng = source_rng(seed, channel.id)
        self._rng = rng
        self._channel = channel
        self._scenarios = [s for s in scenarios if s.source_id == channel.id]
        outdoor = channel.site_type in _OUTDOOR_SITES
        self._baseline = rng.uniform(1.0, 3.0) if outdoor else rng.uniform(0.3, 2.0)
        self._wander = 0.0
        self._temp_c = rng.uniform(8.0, 15.0) if outdoor else rng.uniform(18.0, 26.0)
        self._temp_swing = 2.0 if outdoor else 3.0
        self._humidity = rng.uniform(60.0, 90.0) if outdoor else rng.uniform(35.0, 65.0)
        self._battery_v = rng.uniform(3.45, 3.65)
        self._signal_dbm = rng.uniform(-95.0, -60.0)
        self._period_ms = rng.randint(30_000, 60_000)
        self._heartbeat_ms = rng.randint(5 * 60_000, 15 * 60_000)
        self._next_reading = start_ms + rng.randint(0, self._period_ms)
        self._next_heartbeat = start_ms + rng.randint(0, self._heartbeat_ms)
        self._alarm_level = 0  # 0 normal, 1 low alarm, 2 high alarm
        self._last_lel: float | None = None
        self._frozen: float | None = None
        self._reading_topic = gas_reading_topic(channel.id, prefix)
        self._event_topic = gas_event_topic(channel.id, prefix)
        self._done = False

    @property
    def source_id(self) -> str:
        return self._channel.id

    def next_due_ms(self) -> int | None:
        return None if self._done else min(self._next_reading, self._next_heartbeat)

    def emit(self, now_ms: int) -> list[Emission]:
        offline = self._active(ScenarioKind.DETECTOR_OFFLINE, now_ms)
        if offline is not None:
            self._go_offline(offline)
            return []
        out: list[Emission] = []
        if now_ms >= self._next_reading:
            out.extend(self._reading(now_ms))
            fast = self._in_alarm_or_leak(now_ms)
            step = _ALARM_READING_MS if fast else self._period_ms + self._rng.randint(-2000, 2000)
            self._next_reading = max(self._next_reading + step, now_ms + 1)
        if now_ms >= self._next_heartbeat:
            out.append(self._event(now_ms, GasEventType.HEARTBEAT, self._last_lel))
            self._next_heartbeat += self._heartbeat_ms + self._rng.randint(-5000, 5000)
        return out

    def _go_offline(self, scenario: Scenario) -> None:
        if scenario.end_ms is None:
            self._done = True
            return
        resume = scenario.end_ms
        self._next_reading = resume + self._rng.randint(0, self._period_ms)
        self._next_heartbeat = resume + self._rng.randint(0, self._heartbeat_ms)

    def _active(self, kind: ScenarioKind, ts_ms: int) -> Scenario | None:
        for scenario in self._scenarios:
            if scenario.kind is kind and scenario.active(ts_ms):
                return scenario
        return None

    def _in_alarm_or_leak(self, ts_ms: int) -> bool:
        return self._alarm_level > 0 or self._active(ScenarioKind.GAS_LEAK_RAMP, ts_ms) is not None

    def _reading(self, ts_ms: int) -> list[Emission]:
        lel = self._lel(ts_ms)
        self._last_lel = lel
        rng = self._rng
        temp = self._temp_c + self._temp_swing * diurnal(ts_ms, 14.0) + rng.gauss(0, 0.15)
        humidity = min(99.0, max(5.0, self._humidity + rng.gauss(0, 1.5)))
        self._battery_v -= 1e-7 * self._period_ms / 1000  # ~0.01 V per day
        reading = GasReading(
            ts=ts_ms,
            lel_pct=lel,
            temp_c=round(temp, 2),
            humidity_pct=round(humidity, 1),
            battery_v=round(self._battery_v + rng.gauss(0, 0.004), 3),
            signal_dbm=round(min(-40.0, self._signal_dbm + rng.gauss(0, 2.0)), 1),
        )
        return [Emission(self._reading_topic, encode(reading)), *self._controller(ts_ms, lel)]

    def _lel(self, ts_ms: int) -> float:
        rng = self._rng
        self._wander = 0.9 * self._wander + rng.gauss(0, 0.06)
        value = abs(self._baseline + self._wander + rng.gauss(0, 0.1))
        stuck = self._active(ScenarioKind.STUCK_SENSOR, ts_ms)
        if stuck is not None:
            if self._frozen is None:
                self._frozen = self._last_lel if self._last_lel is not None else round(value, 2)
            return self._frozen
        self._frozen = None
        for scenario in self._scenarios:
            if scenario.kind is ScenarioKind.SENSOR_DRIFT and scenario.active(ts_ms):
                value += scenario.param("rate_pct_per_h") * (ts_ms - scenario.start_ms) / HOUR_MS
            elif scenario.kind is ScenarioKind.GAS_LEAK_RAMP:
                value += _leak_excess(scenario, ts_ms, self._baseline) * rng.gauss(1.0, 0.02)
        return round(min(100.0, max(0.0, value)), 2)

    def _controller(self, ts_ms: int, lel: float) -> list[Emission]:
        low, high = self._channel.low_pct, self._channel.high_pct
        events: list[tuple[GasEventType, str | None]] = []
        if self._alarm_level < 1 and lel >= low:
            self._alarm_level = 1
            events += [(GasEventType.ALARM_LOW, f"lel >= {low:g}"), (GasEventType.FAN_ON, None)]
        if self._alarm_level < 2 and lel >= high:
            self._alarm_level = 2
            events += [
                (GasEventType.ALARM_HIGH, f"lel >= {high:g}"),
                (GasEventType.VALVE_CLOSED, "emergency shut-off"),
            ]
        if self._alarm_level > 0 and lel < low - _CLEAR_HYSTERESIS_PCT:
            self._alarm_level = 0
            events += [(GasEventType.ALARM_CLEARED, None), (GasEventType.FAN_OFF, None)]
        return [self._event(ts_ms, kind, lel, detail) for kind, detail in events]

    def _event(
        self, ts_ms: int, kind: GasEventType, lel: float | None, detail: str | None = None
    ) -> Emission:
        return Emission(self._event_topic, encode(GasEvent(ts_ms, kind, lel, detail)))


def _leak_excess(scenario: Scenario, ts_ms: int, baseline: float) -> float:
    """%LEL a leak adds: ramps up over ``ramp_s``, holds, then airs out over ``ramp_s``."""
    if ts_ms < scenario.start_ms:
        return 0.0
    ramp_ms = max(1.0, scenario.param("ramp_s") * 1000)
    amplitude = max(0.0, scenario.param("peak_pct") - baseline)
    rising = min(1.0, (ts_ms - scenario.start_ms) / ramp_ms)
    if scenario.end_ms is None or ts_ms < scenario.end_ms:
        return amplitude * rising
    at_end = min(1.0, (scenario.end_ms - scenario.start_ms) / ramp_ms)
    return amplitude * at_end * max(0.0, 1.0 - (ts_ms - scenario.end_ms) / ramp_ms)
