"""Heat-exchange station model: primary and secondary loops on a heating curve.

All stations share one city weather (:class:`Weather`: a diurnal cycle plus slow
multi-day swings, −10..+10 °C, the heating season being modelled whatever the date).
Each station reports every ``period_s`` (default 60 s, staggered):

- secondary supply follows the heating curve ``50 − 0.8 × outdoor`` (40–60 °C) with a
  small station bias; return 6–11 K lower; pressures 0.3–0.6 MPa;
- primary supply ``90 − 1.2 × outdoor`` (70–110 °C), return 44–50 °C, pressures
  0.75–1.05 / 0.25–0.35 MPa;
- flows from the heat demand of the station's floor area; cumulative ``heat_gj`` and
  ``makeup_water_t`` grow with it; indoor 19.4–22.2 °C; pump running.

Faults (see ``scenarios``): pipe burst, under-heating, enterprise silence.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Final

from lifeline.core.payloads import StationTelemetry
from lifeline.core.registry import Station
from lifeline.core.topics import DEFAULT_PREFIX, station_topic
from simulators.scenarios import Scenario, ScenarioKind
from simulators.source import (
    HOUR_MS,
    MINUTE_MS,
    Emission,
    diurnal,
    encode,
    source_rng,
)

__all__ = ["StationSim", "Weather", "heating_curve_c"]

_DAY_MS: Final = 24 * HOUR_MS
_UNDER_HEATING_TAU_SUPPLY_MS: Final = 10 * MINUTE_MS
_UNDER_HEATING_TAU_INDOOR_MS: Final = 20 * MINUTE_MS


def heating_curve_c(outdoor_c: float) -> float:
    """Secondary supply temperature a station should deliver at ``outdoor_c``."""
    return 50.0 - 0.8 * outdoor_c


class Weather:
    """City outdoor temperature: mean 0 °C, ±3.5 K diurnal, ±4 K slow swings."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:weather")
        self._swings = [
            (rng.uniform(2.5, 3.5) * _DAY_MS, rng.uniform(0, 2 * math.pi), 2.0),
            (rng.uniform(5.0, 7.0) * _DAY_MS, rng.uniform(0, 2 * math.pi), 1.5),
            (rng.uniform(0.4, 0.6) * _DAY_MS, rng.uniform(0, 2 * math.pi), 0.5),
        ]

    def outdoor_c(self, ts_ms: int) -> float:
        value = 3.5 * diurnal(ts_ms, 14.0)
        for period, phase, amplitude in self._swings:
            value += amplitude * math.sin(2 * math.pi * ts_ms / period + phase)
        return value


class StationSim:
    """One heat-exchange station of an enterprise."""

    def __init__(
        self,
        station: Station,
        seed: int,
        start_ms: int,
        scenarios: Sequence[Scenario] = (),
        prefix: str = DEFAULT_PREFIX,
        period_s: float = 60.0,
        weather: Weather | None = None,
    ) -> None:
        rng = source_rng(seed, station.id)
        self._rng = rng
        self._station = station
        self._weather = weather or Weather(seed)
        own = {station.id, station.enterprise_id}
        self._scenarios = [s for s in scenarios if s.source_id in own]
        self._topic = station_topic(station.enterprise_id, station.id, prefix)
        self._period_ms = max(1000, round(period_s * 1000))
        self._next = start_ms + rng.randint(0, self._period_ms)
        self._last_ms = start_ms
        self._area_m2 = max(5_000.0, station.area_m2)
        self._outdoor_bias = rng.uniform(-0.7, 0.7)
        self._secondary_bias = rng.uniform(-1.0, 1.0)
        self._primary_bias = rng.uniform(-2.0, 2.0)
        self._indoor_c = rng.uniform(19.8, 21.8)
        self._p_supply = rng.uniform(0.75, 1.05)
        self._p_return = rng.uniform(0.25, 0.35)
        self._s_supply = rng.uniform(0.38, 0.52)
        self._s_drop = rng.uniform(0.08, 0.12)
        self._heat_gj = rng.uniform(1_000.0, 50_000.0)
        self._makeup_t = rng.uniform(50.0, 5_000.0)
        self._makeup_rate_t_h = self._area_m2 / 10_000 * rng.uniform(0.005, 0.03)

    @property
    def source_id(self) -> str:
        return self._station.id

    def next_due_ms(self) -> int:
        return self._next

    def emit(self, now_ms: int) -> list[Emission]:
        self._next = max(self._next + self._period_ms + self._rng.randint(-1000, 1000), now_ms + 1)
        if self._active(ScenarioKind.ENTERPRISE_STOPS_SENDING, now_ms) is not None:
            return []
        return [Emission(self._topic, encode(self._telemetry(now_ms)))]

    def _active(self, kind: ScenarioKind, ts_ms: int) -> Scenario | None:
        for scenario in self._scenarios:
            if scenario.kind is kind and scenario.active(ts_ms):
                return scenario
        return None

    def _under_heating(self, ts_ms: int, tau_ms: int) -> float:
        """0..1: how far an under-heating episode has pulled the station down."""
        level = 0.0
        for scenario in self._scenarios:
            if scenario.kind is ScenarioKind.UNDER_HEATING:
                level = max(level, _first_order(scenario, ts_ms, tau_ms))
        return level

    def _telemetry(self, ts_ms: int) -> StationTelemetry:
        rng = self._rng
        hours = max(0.0, (ts_ms - self._last_ms) / HOUR_MS)
        self._last_ms = ts_ms
        outdoor = self._weather.outdoor_c(ts_ms) + self._outdoor_bias + rng.gauss(0, 0.15)
        outdoor = min(10.0, max(-10.0, outdoor))

        cold = self._under_heating(ts_ms, _UNDER_HEATING_TAU_SUPPLY_MS)
        chill = self._under_heating(ts_ms, _UNDER_HEATING_TAU_INDOOR_MS)
        deficit = self._deficit_c()
        sec_supply = heating_curve_c(outdoor) + self._secondary_bias + rng.gauss(0, 0.3)
        sec_supply = min(60.0, max(40.0, sec_supply)) - deficit * cold
        sec_dt = 6.0 + 0.25 * (10.0 - outdoor) + rng.gauss(0, 0.2)
        pri_supply = min(110.0, max(70.0, 90.0 - 1.2 * outdoor + self._primary_bias))
        pri_supply += rng.gauss(0, 0.4)
        pri_return = min(55.0, max(40.0, 47.0 - 0.25 * outdoor + rng.gauss(0, 0.3)))

        demand_kw = self._area_m2 * 45.0 * (20.0 - outdoor) / 25.0 / 1000.0
        demand_kw *= (1.0 - 0.5 * cold) * rng.gauss(1.0, 0.01)
        sec_flow = demand_kw / (4.186 * sec_dt) * 3.6
        pri_flow = demand_kw / (4.186 * (pri_supply - pri_return)) * 3.6

        burst = self._burst_level(ts_ms)
        p_supply = self._p_supply + rng.gauss(0, 0.004)
        p_return = self._p_return + rng.gauss(0, 0.003)
        makeup_rate = self._makeup_rate_t_h * rng.uniform(0.8, 1.2)
        scenario = self._active(ScenarioKind.STATION_PIPE_BURST, ts_ms)
        if scenario is not None:
            p_supply -= (self._p_supply - scenario.param("pressure_mpa")) * burst
            p_return -= (self._p_return - 0.1) * burst
            makeup_rate += scenario.param("makeup_t_h") * burst
            pri_flow *= 1.0 + 0.3 * burst
        self._heat_gj += demand_kw * hours * 0.0036
        self._makeup_t += makeup_rate * hours

        indoor = self._indoor_c + 0.3 * diurnal(ts_ms, 16.0) + rng.gauss(0, 0.1)
        indoor -= (self._indoor_c - self._indoor_target_c()) * chill
        s_supply = self._s_supply + rng.gauss(0, 0.004)
        return StationTelemetry(
            ts=ts_ms,
            primary_supply_temp_c=round(pri_supply, 2),
            primary_return_temp_c=round(pri_return, 2),
            primary_supply_pressure_mpa=round(max(0.0, p_supply), 3),
            primary_return_pressure_mpa=round(max(0.0, p_return), 3),
            primary_flow_t_h=round(pri_flow, 2),
            secondary_supply_temp_c=round(sec_supply, 2),
            secondary_return_temp_c=round(sec_supply - sec_dt, 2),
            secondary_supply_pressure_mpa=round(s_supply, 3),
            secondary_return_pressure_mpa=round(s_supply - self._s_drop + rng.gauss(0, 0.003), 3),
            secondary_flow_t_h=round(sec_flow, 2),
            heat_gj=round(self._heat_gj, 3),
            makeup_water_t=round(self._makeup_t, 3),
            outdoor_temp_c=round(outdoor, 2),
            indoor_temp_c=round(indoor, 2),
            pump_running=True,
        )

    def _burst_level(self, ts_ms: int) -> float:
        scenario = self._active(ScenarioKind.STATION_PIPE_BURST, ts_ms)
        if scenario is None:
            return 0.0
        drop_ms = max(1.0, scenario.param("drop_s") * 1000)
        return min(1.0, (ts_ms - scenario.start_ms) / drop_ms)

    def _deficit_c(self) -> float:
        for scenario in self._scenarios:
            if scenario.kind is ScenarioKind.UNDER_HEATING:
                return scenario.param("deficit_c")
        return 0.0

    def _indoor_target_c(self) -> float:
        for scenario in self._scenarios:
            if scenario.kind is ScenarioKind.UNDER_HEATING:
                return scenario.param("indoor_c")
        return self._indoor_c


def _first_order(scenario: Scenario, ts_ms: int, tau_ms: int) -> float:
    """Response of a first-order system to the scenario's on/off step (0..1)."""
    if ts_ms < scenario.start_ms:
        return 0.0
    if scenario.end_ms is None or ts_ms < scenario.end_ms:
        return 1.0 - math.exp(-(ts_ms - scenario.start_ms) / tau_ms)
    at_end = 1.0 - math.exp(-(scenario.end_ms - scenario.start_ms) / tau_ms)
    return at_end * math.exp(-(ts_ms - scenario.end_ms) / tau_ms)
