"""Each injected scenario leaves its signature in the emitted data."""

from __future__ import annotations

import math
from pathlib import Path

import msgspec
import pytest

from lifeline.core.errors import ConfigError
from lifeline.core.payloads import GasEvent, GasReading, MeterAlarm, MeterReading
from lifeline.core.payloads import StationTelemetry as Tel
from simulators.heating import heating_curve_c
from simulators.scenarios import (
    KINDS,
    GroundTruth,
    ScenarioKind,
    ScenarioSpec,
    SourcePool,
    default_scenarios,
    parse_scenario,
    resolve_scenarios,
)
from tests.simulators.helpers import (
    HOUR,
    MINUTE,
    START_MS,
    bodies,
    of,
    simulate,
    small_registry,
    ts,
)


def test_cli_spec_names_kind_target_and_offset() -> None:
    spec = parse_scenario("gas_leak_ramp:GAS-0042@+10m")
    assert spec == ScenarioSpec(ScenarioKind.GAS_LEAK_RAMP, "GAS-0042", 600.0, None, {})


def test_cli_spec_takes_duration_forever_and_parameters() -> None:
    spec = parse_scenario("sensor_drift:GAS-0007@+1h30m~6h,rate_pct_per_h=4.5")
    assert (spec.offset_s, spec.duration_s, spec.params) == (
        5400.0,
        21600.0,
        {"rate_pct_per_h": 4.5},
    )
    assert parse_scenario("enterprise_stops_sending~forever").duration_s == math.inf
    assert parse_scenario("stuck_sensor").target is None


@pytest.mark.parametrize(
    "text",
    [
        "gas_leak",
        "gas_leak_ramp:GAS-1@+10x",
        "stuck_sensor,rate_pct_per_h=1",
        "under_heating,indoor_c=abc",
    ],
)
def test_bad_cli_spec_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_scenario(text)


def test_named_target_must_be_simulated() -> None:
    pool = SourcePool(channels=("GAS-0001",))
    with pytest.raises(ConfigError, match="GAS-0099"):
        resolve_scenarios([parse_scenario("stuck_sensor:GAS-0099")], pool, START_MS, 1)


def test_default_set_covers_every_kind_and_depends_on_the_seed() -> None:
    pool = SourcePool(
        channels=tuple(f"GAS-{n:04d}" for n in range(1, 100)),
        stations=("HEAT-001-S01", "HEAT-002-S01", "HEAT-003-S01"),
        enterprises=("HEAT-001", "HEAT-002", "HEAT-003"),
        meters=tuple(f"MTR-{n:08d}" for n in range(1, 100)),
    )
    first = resolve_scenarios(default_scenarios(pool, 7, 6 * 3600), pool, START_MS, 7)
    again = resolve_scenarios(default_scenarios(pool, 7, 6 * 3600), pool, START_MS, 7)
    other = resolve_scenarios(default_scenarios(pool, 8, 6 * 3600), pool, START_MS, 8)
    assert first == again
    assert first != other
    assert {s.kind for s in first} == set(ScenarioKind)
    gas_targets = [s.source_id for s in first if KINDS[s.kind].target.value == "gas_channel"]
    assert len(set(gas_targets)) == len(gas_targets) == 4
    for s in first:  # inside the run, leaving time to show
        assert s.start_ms > START_MS
        assert s.end_ms is not None
        assert s.end_ms <= START_MS + 6 * 3600 * 1000


async def test_leak_ramp_reaches_high_alarm_and_controller_reports_it() -> None:
    spec = parse_scenario("gas_leak_ramp:GAS-0001@+10m~20m")
    received, _, _ = await simulate(small_registry(0), 45 * MINUTE, [spec], kinds=_gas())
    start = START_MS + 10 * MINUTE
    lel = [(ts(b), b.lel_pct) for b in bodies(received, GasReading, "GAS-0001")]
    assert max(v for t, v in lel if t < start) < 5
    assert max(v for _, v in lel) >= 55
    assert any(v >= 50 for t, v in lel if start <= t <= start + 5 * MINUTE)
    events = [e for e in bodies(received, GasEvent, "GAS-0001") if e.type != "heartbeat"]
    kinds = [e.type for e in events]
    assert kinds[:4] == ["alarm_low", "fan_on", "alarm_high", "valve_closed"]
    assert "alarm_cleared" in kinds  # the leak ends after 20 min and airs out
    high = next(e for e in events if e.type == "alarm_high")
    assert (high.lel_pct or 0) >= 50
    for other in ("GAS-0002", "GAS-0003"):
        assert {e.type for e in bodies(received, GasEvent, other)} == {"heartbeat"}


async def test_sensor_drift_creeps_up_until_it_crosses_the_low_setpoint() -> None:
    spec = parse_scenario("sensor_drift:GAS-0003@+0s~3h,rate_pct_per_h=10")
    received, _, _ = await simulate(small_registry(0), 3 * HOUR, [spec], kinds=_gas())
    lel = [b.lel_pct for b in bodies(received, GasReading, "GAS-0003")]
    hourly = [lel[i] for i in range(0, len(lel), len(lel) // 3)]
    assert hourly == sorted(hourly)
    assert lel[0] < 5
    assert lel[-1] > 25
    events = [e.type for e in bodies(received, GasEvent, "GAS-0003")]
    assert "alarm_low" in events
    assert "alarm_high" not in events


async def test_stuck_sensor_repeats_exactly_the_same_value() -> None:
    spec = parse_scenario("stuck_sensor:GAS-0002@+10m~1h")
    received, _, _ = await simulate(small_registry(0), 2 * HOUR, [spec], kinds=_gas())
    start, end = START_MS + 10 * MINUTE, START_MS + 70 * MINUTE
    readings = bodies(received, GasReading, "GAS-0002")
    stuck = [b for b in readings if start <= ts(b) < end]
    assert len(stuck) >= 60
    assert len({b.lel_pct for b in stuck}) == 1
    assert stuck[0].lel_pct > 0
    assert len({b.temp_c for b in stuck}) > 10  # the rest of the device still lives
    assert len({b.lel_pct for b in readings if ts(b) >= end}) > 5


async def test_offline_detector_sends_nothing_until_it_returns() -> None:
    spec = parse_scenario("detector_offline:GAS-0001@+10m~30m")
    received, _, _ = await simulate(small_registry(0), HOUR, [spec], kinds=_gas())
    start, end = START_MS + 10 * MINUTE, START_MS + 40 * MINUTE
    stamps = [r.ts for r in received if r.topic.source_id == "GAS-0001"]
    assert not [t for t in stamps if start <= t < end]
    assert [t for t in stamps if t < start]
    assert [t for t in stamps if t >= end]
    others = [r.ts for r in received if r.topic.source_id == "GAS-0002"]
    assert [t for t in others if start <= t < end]


async def test_offline_forever_stops_the_channel_for_good() -> None:
    spec = parse_scenario("detector_offline:GAS-0001@+5m~forever")
    received, _, sim = await simulate(small_registry(0), HOUR, [spec], kinds=_gas())
    assert max(r.ts for r in received if r.topic.source_id == "GAS-0001") < START_MS + 5 * MINUTE
    assert sim.scenarios[0].end_ms is None


async def test_continuous_flow_sets_the_flag_and_uploads_at_once() -> None:
    # starts 20:00 local, alarm after 4 h of flow; the nightly batch shows flow all night
    spec = parse_scenario("meter_continuous_flow:MTR-00000002@+20h~12h,alarm_after_h=4")
    received, _, _ = await simulate(small_registry(3), 36 * HOUR, [spec], kinds=_meters())
    records = of(received, MeterReading, "MTR-00000002")
    alarm_at = START_MS + 24 * HOUR
    immediate = [r.body for r in records if r.batch_size is None]
    assert [ts(b) for b in immediate] == [alarm_at]
    assert isinstance(immediate[0], MeterReading)
    assert immediate[0].alarms == [MeterAlarm.CONTINUOUS_FLOW]
    assert (immediate[0].flow_m3h or 0) > 0.1
    batched = [r.body for r in records if r.batch_size and isinstance(r.body, MeterReading)]
    night = [b for b in batched if alarm_at < ts(b) <= alarm_at + 5 * HOUR]
    assert night  # 01:00 .. the meter's upload time (before 05:00), all with flow
    assert all((b.flow_m3h or 0) >= 0.11 for b in night)
    assert all(b.alarms == ["continuous_flow"] for b in night)
    assert all(not b.alarms for b in batched if ts(b) <= START_MS + 20 * HOUR)
    others = [r.body for r in received if r.topic.source_id != "MTR-00000002"]
    assert others
    assert all(isinstance(b, MeterReading) and not b.alarms for b in others)


async def test_pipe_burst_drops_primary_pressure_within_a_minute_and_makeup_jumps() -> None:
    spec = parse_scenario("station_pipe_burst:HEAT-002-S01@+10m~20m")
    received, _, _ = await simulate(small_registry(0), HOUR, [spec], kinds=_stations())
    start = START_MS + 10 * MINUTE
    tel = bodies(received, Tel, "HEAT-002-S01")
    first_low = min(ts(b) for b in tel if (b.primary_supply_pressure_mpa or 1) < 0.4)
    assert start <= first_low <= start + 2 * MINUTE  # 45 s drop, reports every 60 s
    during = [b for b in tel if start + MINUTE <= ts(b) < start + 20 * MINUTE]
    assert len(during) >= 18
    assert all((b.primary_supply_pressure_mpa or 1) < 0.4 for b in during)
    before = [b for b in tel if ts(b) < start]
    normal_rate = (before[-1].makeup_water_t or 0) - (before[-2].makeup_water_t or 0)
    burst_rate = (during[-1].makeup_water_t or 0) - (during[-2].makeup_water_t or 0)
    assert burst_rate > 20 * max(normal_rate, 1e-3)
    after = [b for b in tel if ts(b) >= start + 21 * MINUTE]
    assert after
    assert all((b.primary_supply_pressure_mpa or 0) > 0.6 for b in after)


async def test_under_heating_keeps_indoor_below_18_for_over_half_an_hour() -> None:
    spec = parse_scenario("under_heating:HEAT-001-S02@+10m~2h")
    received, _, _ = await simulate(small_registry(0), 3 * HOUR, [spec], kinds=_stations())
    tel = bodies(received, Tel, "HEAT-001-S02")
    cold = [i for i, b in enumerate(tel) if (b.indoor_temp_c or 99) < 18]
    assert cold
    assert ts(tel[cold[-1]]) - ts(tel[cold[0]]) > 60 * MINUTE
    assert cold == list(range(cold[0], cold[-1] + 1))  # one unbroken cold spell
    window = [b for b in tel if START_MS + 20 * MINUTE <= ts(b) < START_MS + 130 * MINUTE]
    assert len(window) >= 100
    for b in window:  # secondary supply under its heating curve while it lasts
        assert b.secondary_supply_temp_c is not None
        assert b.secondary_supply_temp_c < heating_curve_c(b.outdoor_temp_c or 0) - 5
    assert all((b.indoor_temp_c or 0) >= 19 for b in bodies(received, Tel, "HEAT-001-S01"))


async def test_enterprise_that_stops_sending_goes_silent_on_every_station() -> None:
    spec = parse_scenario("enterprise_stops_sending:HEAT-002@+10m~40m")
    received, _, _ = await simulate(small_registry(0), HOUR, [spec], kinds=_stations())
    start, end = START_MS + 10 * MINUTE, START_MS + 50 * MINUTE
    silent = [r for r in received if r.topic.enterprise_id == "HEAT-002" and start <= r.ts < end]
    assert silent == []
    for station in ("HEAT-002-S01", "HEAT-002-S02"):
        stamps = [r.ts for r in received if r.topic.source_id == station]
        assert [t for t in stamps if t >= end], station  # back after the outage
    live = [r for r in received if r.topic.enterprise_id == "HEAT-001" and start <= r.ts < end]
    assert len(live) >= 2 * 39


async def test_ground_truth_lists_started_scenarios_as_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "truth" / "gt.jsonl"
    specs = [
        parse_scenario("gas_leak_ramp:GAS-0001@+10m~20m"),
        parse_scenario("enterprise_stops_sending:HEAT-001@+5m~forever"),
        parse_scenario("stuck_sensor:GAS-0002@+2h"),  # after the run's end
    ]
    await simulate(small_registry(0), HOUR, specs, ground_truth_path=path)
    lines = [msgspec.json.decode(line, type=GroundTruth) for line in path.read_text().splitlines()]
    assert lines == [
        GroundTruth(
            "enterprise_stops_sending", "HEAT-001", "enterprise", "data_interruption",
            START_MS + 5 * MINUTE, None, "enterprise_offline",
        ),
        GroundTruth(
            "gas_leak_ramp", "GAS-0001", "gas_channel", "gas_leak",
            START_MS + 10 * MINUTE, START_MS + 30 * MINUTE, "gas_leak",
        ),
    ]  # fmt: skip


def _gas() -> frozenset[str]:
    return frozenset({"gas_channel"})


def _stations() -> frozenset[str]:
    return frozenset({"station"})


def _meters() -> frozenset[str]:
    return frozenset({"meter"})
