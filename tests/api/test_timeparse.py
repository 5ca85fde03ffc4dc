"""api.timeparse: instants, steps, automatic steps, local midnight."""

from __future__ import annotations

import pytest

from api.timeparse import auto_step, local_midnight_ms, parse_instant, parse_step
from tests.api.factories import HOUR, MINUTE, NOW_MS


def test_instants_in_rfc3339_with_any_offset_or_epoch_ms_agree() -> None:
    assert parse_instant("2026-01-15T02:00:00Z") == NOW_MS
    assert parse_instant("2026-01-15T10:00:00+08:00") == NOW_MS
    assert parse_instant("2026-01-15T02:00:00.250Z") == NOW_MS + 250
    assert parse_instant(str(NOW_MS)) == NOW_MS


@pytest.mark.parametrize("text", ["", "now", "2026-01-15T10:00:00", "-5", "1.5e12"])
def test_bad_instants_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_instant(text)


def test_steps_are_ms_or_durations() -> None:
    assert parse_step("60000") == MINUTE
    assert parse_step("30s") == 30_000
    assert parse_step("5m") == 5 * MINUTE
    assert parse_step("2h") == 2 * HOUR
    assert parse_step("1d") == 24 * HOUR
    for bad in ("0", "0m", "-1m", "5 minutes", "1w"):
        with pytest.raises(ValueError, match="step"):
            parse_step(bad)


def test_auto_step_keeps_buckets_at_or_under_500_with_a_nice_step() -> None:
    assert auto_step(HOUR) == 10_000  # 7.2 s wanted -> the next nice step
    assert auto_step(MINUTE) == 1000  # the finest step
    for span in (HOUR, 24 * HOUR, 7 * 24 * HOUR, 35 * 24 * HOUR, 3650 * 24 * HOUR):
        step = auto_step(span)
        assert span / step <= 500
        assert span / step > 500 / 7  # not absurdly coarse
    assert auto_step(24 * HOUR) == 5 * MINUTE


def test_local_midnight_is_shanghai_midnight() -> None:
    assert local_midnight_ms(NOW_MS) == NOW_MS - 10 * HOUR  # 10:00 local
    just_after = NOW_MS - 10 * HOUR
    assert local_midnight_ms(just_after) == just_after
    assert local_midnight_ms(just_after - 1) == just_after - 24 * HOUR


@pytest.mark.parametrize(
    "text",
    [
        str(10**20),
        "4102444800000",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1969-12-31T23:59:59Z",
    ],
)
def test_instants_outside_1970_to_2100_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_instant(text)


def test_the_range_bounds_are_inclusive_then_exclusive() -> None:
    assert parse_instant("0") == 0
    assert parse_instant("2099-12-31T23:59:59.999Z") == 4_102_444_799_999


@pytest.mark.parametrize("text", [f"{10**23}d", "367d", str(366 * 86_400_000 + 1)])
def test_steps_longer_than_366_days_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="366"):
        parse_step(text)
