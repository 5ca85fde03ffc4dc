"""/api/v1/enterprises: on-line status, today's on-line rate, open alerts, detail."""

from __future__ import annotations

import pytest

from api.routes.enterprises import counting_start, online_rate
from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.ids import SourceKind
from lifeline.core.records import PRESENCE_SLOT_MS as SLOT
from tests.api.conftest import Env
from tests.api.factories import HOUR, MINUTE, NOW_MS, raise_alert, station

# NOW is 10:00 local (Asia/Shanghai): 120 five-minute slots have begun since midnight,
# the one starting at 10:00 included.
MIDNIGHT_LOCAL_MS = NOW_MS - 10 * HOUR


async def test_list_has_all_134_enterprises_with_station_counts(env: Env) -> None:
    body = (await env.client.get("/api/v1/enterprises", params={"limit": 1000})).json()
    assert body["total"] == len(body["items"]) == 134
    counts = {e["id"]: e["station_count"] for e in body["items"]}
    assert sum(counts.values()) == 1500
    assert counts["HEAT-001"] == len(env.registry.stations_by_enterprise["HEAT-001"])


async def test_enterprise_is_online_when_a_station_was_seen_within_15_minutes(env: Env) -> None:
    await env.telemetry.write(
        [station("HEAT-001-S02", NOW_MS - 14 * MINUTE), station("HEAT-002-S01", NOW_MS - HOUR)]
    )
    items = (await env.client.get("/api/v1/enterprises", params={"limit": 3})).json()["items"]
    assert [e["online"] for e in items] == [True, False, False]
    assert items[0]["last_data_ms"] == NOW_MS - 14 * MINUTE
    assert items[1]["last_data"] == "2026-01-15T01:00:00.000Z"
    assert items[2]["last_data"] is None


async def test_online_rate_today_counts_slots_since_local_midnight(env: Env) -> None:
    # 30 slots today with data from one station or another, plus data from yesterday.
    records = [station("HEAT-003-S01", MIDNIGHT_LOCAL_MS + k * 10 * MINUTE) for k in range(30)]
    records += [station("HEAT-003-S02", MIDNIGHT_LOCAL_MS + 10 * MINUTE + 1000)]  # same slot
    records += [station("HEAT-003-S01", MIDNIGHT_LOCAL_MS - 5 * MINUTE)]  # yesterday
    await env.telemetry.write(records)
    body = (await env.client.get("/api/v1/enterprises/HEAT-003")).json()
    assert body["online_rate_today"] == pytest.approx(30 / 120)
    assert body["online"] is False


async def test_online_rate_today_counts_from_the_first_record_not_midnight(env: Env) -> None:
    # The platform started at 01:40: an enterprise sending in every slot since reads
    # 100 %, not the 84 % of slots since midnight (issue 16).
    start = MIDNIGHT_LOCAL_MS + 100 * MINUTE
    steady = [station("HEAT-007-S01", t) for t in range(start, NOW_MS + 1, 5 * MINUTE)]
    # another one started at 01:40 too and stopped at 05:50: 50 of 100 slots
    stopped = [station("HEAT-008-S01", start + k * 5 * MINUTE) for k in range(50)]
    await env.telemetry.write([*steady, *stopped])
    body = (await env.client.get("/api/v1/enterprises", params={"limit": 1000})).json()
    rates = {e["id"]: e["online_rate_today"] for e in body["items"]}
    assert rates["HEAT-007"] == 1.0
    assert rates["HEAT-008"] == pytest.approx(50 / 100)
    assert rates["HEAT-009"] == 0.0  # never heard of: nothing counted, 0 %


def test_counting_starts_at_the_later_of_the_day_and_the_first_record() -> None:
    day = 100 * SLOT
    assert counting_start(day, None) == day
    assert counting_start(day, day - 1) == day  # known since yesterday: from midnight
    assert counting_start(day, day + 3 * SLOT + 7) == day + 3 * SLOT  # from its slot


def test_online_rate_counts_the_current_slot_and_never_exceeds_one() -> None:
    assert online_rate(1, 0, 1) == 1.0  # one minute into the day, the slot has data
    assert online_rate(0, 0, 1) == 0.0
    assert online_rate(3, 0, 10 * MINUTE) == 1.0  # coverage ahead of a late clock
    assert online_rate(1, 0, 10 * MINUTE + 1) == pytest.approx(1 / 3)


async def test_open_alert_count_includes_station_and_enterprise_alerts(env: Env) -> None:
    await raise_alert(
        env.alerts, "HEAT-004-S01", rule="under_heating", kind=SourceKind.STATION,
        severity=Severity.MAJOR, enterprise_id="HEAT-004",
    )  # fmt: skip
    await raise_alert(
        env.alerts, "HEAT-004", rule="data_interruption", kind=SourceKind.ENTERPRISE,
        category=AlertCategory.OFFLINE, enterprise_id="HEAT-004",
    )  # fmt: skip
    await raise_alert(env.alerts, "HEAT-004-S02", rule="pump_trip", kind=SourceKind.STATION)
    body = (await env.client.get("/api/v1/enterprises/HEAT-004")).json()
    assert body["open_alert_count"] == 3
    other = (await env.client.get("/api/v1/enterprises/HEAT-005")).json()
    assert other["open_alert_count"] == 0


async def test_detail_lists_its_stations_with_their_own_online_status(env: Env) -> None:
    await env.telemetry.write([station("HEAT-006-S01", NOW_MS - MINUTE)])
    body = (await env.client.get("/api/v1/enterprises/HEAT-006")).json()
    stations = body["stations"]
    expected = sorted(s.id for s in env.registry.stations_by_enterprise["HEAT-006"])
    assert [s["id"] for s in stations] == expected
    assert body["station_count"] == len(expected)
    assert stations[0]["online"] is True
    assert stations[0]["last_seen_ms"] == NOW_MS - MINUTE
    assert all(s["online"] is False for s in stations[1:])


async def test_filters_by_district_and_online(env: Env) -> None:
    district = env.registry.enterprises["HEAT-010"].district
    body = (await env.client.get("/api/v1/enterprises", params={"district": district})).json()
    expected = {e.id for e in env.registry.enterprises.values() if e.district == district}
    assert {e["id"] for e in body["items"]} == expected
    await env.telemetry.write([station("HEAT-010-S01", NOW_MS)])
    online = (await env.client.get("/api/v1/enterprises", params={"online": "true"})).json()
    assert [e["id"] for e in online["items"]] == ["HEAT-010"]


async def test_unknown_enterprise_is_404(env: Env) -> None:
    response = await env.client.get("/api/v1/enterprises/HEAT-999")
    assert response.status_code == 404
    assert "HEAT-999" in response.json()["detail"]


async def test_online_rate_today_counts_from_the_first_record_when_after_midnight(
    env: Env,
) -> None:
    """Issue 16: the platform started at 01:40; an enterprise sending ever since is 100 %."""
    started = MIDNIGHT_LOCAL_MS + 100 * MINUTE
    records = [station("HEAT-004-S01", t) for t in range(started, env.clock.now, 5 * MINUTE)]
    await env.telemetry.write(records)
    body = (await env.client.get("/api/v1/enterprises/HEAT-004")).json()
    assert body["online_rate_today"] == 1.0
