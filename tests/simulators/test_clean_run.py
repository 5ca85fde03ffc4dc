"""A run without scenarios covers every source and never crosses a default alarm rule."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

import pytest

from lifeline.core.payloads import (
    GasEvent,
    GasEventType,
    GasReading,
    MeterReading,
    StationTelemetry,
)
from lifeline.seed import generate_registry
from simulators.heating import heating_curve_c
from simulators.source import LOCAL_UTC_OFFSET_MS
from tests.simulators.helpers import (
    HOUR,
    MINUTE,
    START_MS,
    Received,
    bodies,
    of,
    simulate,
    small_registry,
)

REGISTRY = generate_registry(meters=200)


@pytest.fixture(scope="module")
def ten_minutes() -> list[Received]:
    received, _, _ = asyncio.run(simulate(REGISTRY, 10 * MINUTE))
    return received


@pytest.fixture(scope="module")
def two_days() -> list[Received]:
    received, _, _ = asyncio.run(simulate(small_registry(meters=20), 48 * HOUR))
    return received


def rule_violations(received: list[Received]) -> list[str]:
    """Every record that would trip a default rule (stricter: no on-delays)."""
    out: list[str] = []
    for r in received:
        body, sid = r.body, r.topic.source_id
        if isinstance(body, GasReading) and body.lel_pct >= 15:
            out.append(f"{sid} lel {body.lel_pct}")
        elif isinstance(body, GasEvent) and body.type is not GasEventType.HEARTBEAT:
            out.append(f"{sid} event {body.type}")
        elif isinstance(body, MeterReading) and body.alarms:
            out.append(f"{sid} alarms {body.alarms}")
        elif isinstance(body, StationTelemetry):
            checks = {
                "indoor < 18": body.indoor_temp_c is None or body.indoor_temp_c < 18,
                "primary pressure < 0.4": (body.primary_supply_pressure_mpa or 0) < 0.4,
                "secondary pressure < 0.2": (body.secondary_supply_pressure_mpa or 0) < 0.2,
                "secondary supply < 35": (body.secondary_supply_temp_c or 0) < 35,
                "primary supply > 130": (body.primary_supply_temp_c or 999) > 130,
                "pump stopped": body.pump_running is not True,
            }
            out += [f"{sid} {name}" for name, bad in checks.items() if bad]
    return out


def test_ten_minute_run_sends_readings_for_every_channel_and_station(
    ten_minutes: list[Received],
) -> None:
    channels = {r.topic.source_id for r in of(ten_minutes, GasReading)}
    stations = {r.topic.source_id for r in of(ten_minutes, StationTelemetry)}
    assert channels == set(REGISTRY.channels)
    assert len(channels) == 525
    assert stations == set(REGISTRY.stations)
    for r in of(ten_minutes, StationTelemetry):
        assert r.topic.enterprise_id == REGISTRY.stations[r.topic.source_id].enterprise_id


def test_ten_minute_run_crosses_no_default_rule(ten_minutes: list[Received]) -> None:
    assert rule_violations(ten_minutes) == []


def test_two_day_run_crosses_no_default_rule(two_days: list[Received]) -> None:
    assert len(of(two_days, MeterReading)) >= 20 * 2 * 24
    assert rule_violations(two_days) == []


def test_no_source_is_silent_for_fifteen_minutes(two_days: list[Received]) -> None:
    times: dict[str, list[int]] = defaultdict(list)
    for r in two_days:
        if not isinstance(r.body, MeterReading):
            times[r.topic.source_id].append(r.ts)
    assert len(times) == 3 + 4
    for source_id, stamps in times.items():
        stamps.sort()
        gaps = [b - a for a, b in zip([START_MS, *stamps], stamps, strict=False)]
        assert max(gaps) <= 15 * MINUTE, source_id


def test_no_gas_reading_repeats_the_same_value_for_long(two_days: list[Received]) -> None:
    for channel_id in ("GAS-0001", "GAS-0002", "GAS-0003"):
        values = [b.lel_pct for b in bodies(two_days, GasReading, channel_id)]
        longest = run = 1
        for a, b in itertools.pairwise(values):
            run = run + 1 if a == b else 1
            longest = max(longest, run)
        assert longest < 6, channel_id
        assert len(set(values)) >= 20


def test_gas_baselines_are_small_and_manholes_read_higher(two_days: list[Received]) -> None:
    def mean(channel_id: str) -> float:
        values = [b.lel_pct for b in bodies(two_days, GasReading, channel_id)]
        return sum(values) / len(values)

    kitchen, manhole = mean("GAS-0001"), mean("GAS-0002")
    assert 0 < kitchen < 3
    assert 1 <= manhole <= 4


def test_station_values_stay_in_their_engineering_ranges(two_days: list[Received]) -> None:
    for station_id in small_registry().stations:
        tel = bodies(two_days, StationTelemetry, station_id)
        assert len(tel) >= 47 * 60
        for b in tel:
            assert b.outdoor_temp_c is not None
            assert -10 <= b.outdoor_temp_c <= 10
            supply = b.secondary_supply_temp_c or 0
            assert abs(supply - heating_curve_c(b.outdoor_temp_c)) < 3
            assert 40 <= supply <= 60
            assert 70 <= (b.primary_supply_temp_c or 0) <= 110
            assert 40 <= (b.primary_return_temp_c or 0) <= 55
            assert 0.6 <= (b.primary_supply_pressure_mpa or 0) <= 1.2
            assert 0.2 <= (b.primary_return_pressure_mpa or 0) <= 0.4
            assert 0.3 <= (b.secondary_supply_pressure_mpa or 0) <= 0.6
            assert 19 <= (b.indoor_temp_c or 0) <= 23
            assert (b.primary_flow_t_h or 0) > 0
            assert (b.secondary_flow_t_h or 0) > 0
        heat = [b.heat_gj or 0 for b in tel]
        makeup = [b.makeup_water_t or 0 for b in tel]
        assert all(a < b for a, b in itertools.pairwise(heat))
        assert all(a <= b for a, b in itertools.pairwise(makeup))
        assert makeup[-1] > makeup[0]


def test_colder_outdoor_means_hotter_secondary_supply(two_days: list[Received]) -> None:
    pairs = sorted(
        (b.outdoor_temp_c or 0, b.secondary_supply_temp_c or 0)
        for b in bodies(two_days, StationTelemetry, "HEAT-001-S01")
    )
    coldest = pairs[: len(pairs) // 10]
    warmest = pairs[-len(pairs) // 10 :]
    assert sum(s for _, s in coldest) / len(coldest) > sum(s for _, s in warmest) / len(warmest) + 2


def test_meters_upload_one_nightly_batch_of_hourly_readings(two_days: list[Received]) -> None:
    by_meter: dict[str, list[Received]] = defaultdict(list)
    for r in of(two_days, MeterReading):
        by_meter[r.topic.source_id].append(r)
    assert len(by_meter) == 20
    for meter_id, records in by_meter.items():
        assert all(r.batch_size is not None for r in records)
        stamps = [r.ts for r in records]
        assert all(b - a == HOUR for a, b in itertools.pairwise(stamps)), meter_id
        volumes = [b.volume_m3 for b in bodies(records, MeterReading)]
        assert volumes == sorted(volumes)
        # per local day (complete days only): 0.3 - 1.5 m³, nothing used at 01:00-05:00
        daily: dict[int, float] = defaultdict(float)
        for r in records:
            assert isinstance(r.body, MeterReading)
            assert r.body.flow_m3h is not None
            local = r.ts - HOUR + LOCAL_UTC_OFFSET_MS  # the interval's start, local time
            daily[local // (24 * HOUR)] += r.body.flow_m3h
            if 1 <= (local // HOUR) % 24 < 5:
                assert r.body.flow_m3h == 0
        full_days = sorted(daily)[1:-1]
        assert full_days
        for day in full_days:
            assert 0.29 <= daily[day] <= 1.51, (meter_id, daily[day])


def test_meter_batches_go_out_between_one_and_five_at_night(two_days: list[Received]) -> None:
    # A batch's newest record is the last full hour before the upload.
    newest: dict[tuple[str, int], int] = {}
    for r in of(two_days, MeterReading):
        key = (r.topic.source_id, r.batch_size or 0)
        newest[key] = max(newest.get(key, 0), r.ts)
    for ts in newest.values():
        local_hour = ((ts + LOCAL_UTC_OFFSET_MS) // HOUR) % 24
        assert 1 <= local_hour <= 5
