"""Contract v1.1 "Guarantees": whether a source is offline is judged against the
progress of its own feed (its utility's records), or the wall clock when that feed
stops; a device that never sent anything is offline once its no-data time has passed
since the platform started.

Driven as utilities would: a non-development ``lifeline up`` with a rules file of short
deadman times, each utility's own MQTT account, the HTTP API with the admin token.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest

from lifeline.core.registry import Registry
from tests.e2e.stack import eventually, gas_topic, now_ms
from tests.e2e.utility import (
    UtilityStack,
    get_json,
    owned_channels,
    reading,
    utility_client,
    utility_stack,
)

TIMEOUT_S = 60  # every deadman time of the test rules (margin for a loaded machine)
RULES = f"""
version: 1
rules:
  - name: gas_offline
    type: deadman
    kind: gas_channel
    timeout_s: {TIMEOUT_S}
    message: "{{source_id}}: no data for {{silence_s:.0f}} s"
  - name: station_offline
    type: deadman
    kind: station
    timeout_s: {TIMEOUT_S}
    message: "{{source_id}}: no data for {{silence_s:.0f}} s"
  - name: enterprise_offline
    type: deadman
    kind: enterprise
    timeout_s: {TIMEOUT_S}
    message: "{{source_id}}: no data from any station for {{silence_s:.0f}} s"
"""


def _short_deadman_stack(tmp_path: Path) -> contextlib.AbstractContextManager[UtilityStack]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    return utility_stack(tmp_path / "data", extra_args=["--rules", str(rules)])


def _stations(registry: Registry, enterprise: str) -> list[str]:
    return sorted(s.id for s in registry.stations_by_enterprise[enterprise])


def _enterprise_with_stations(registry: Registry, count: int, skip: Sequence[str] = ()) -> str:
    """The first enterprise with exactly ``count`` stations (a small, quick feed)."""
    return next(
        e
        for e in sorted(registry.enterprises)
        if e not in skip and len(registry.stations_by_enterprise[e]) == count
    )


async def _open_alerts(api: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    """Alerts whose condition is active (not yet acknowledged)."""
    page = await get_json(
        api, "/api/v1/alerts", {"state": "active_unacked", "limit": 1000, **params}
    )
    items: list[dict[str, Any]] = page["items"]
    return items


async def _stored(api: httpx.AsyncClient, channel: str, ts_ms: int) -> bool | None:
    found = await get_json(api, f"/api/v1/channels/{channel}")
    return True if found["last_seen_ms"] == ts_ms else None


async def _publish_gas(client: aiomqtt.Client, channels: Sequence[str], ts_ms: int) -> None:
    await asyncio.gather(
        *(client.publish(gas_topic(c), reading(ts_ms, lel_pct=1.0), qos=1) for c in channels)
    )


async def _publish_stations(
    client: aiomqtt.Client, enterprise: str, stations: Sequence[str], ts_ms: int
) -> None:
    await asyncio.gather(
        *(
            client.publish(
                f"lifeline/v1/heat/{enterprise}/{station}/telemetry",
                reading(ts_ms, indoor_temp_c=20.5),
                qos=1,
            )
            for station in stations
        )
    )


@contextlib.asynccontextmanager
async def _every(seconds: float, *rounds: Any) -> AsyncIterator[None]:
    """Run the coroutine functions ``rounds`` every ``seconds`` while the block runs."""

    async def loop() -> None:
        while True:
            for send in rounds:
                await send()
            await asyncio.sleep(seconds)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.slow
async def test_a_feed_replaying_history_is_not_offline_when_another_feed_is_live(
    tmp_path: Path,
) -> None:
    behind_utility, live_utility = "gas-huarun", "gas-xinao"
    lag_ms = 30 * 60_000
    with _short_deadman_stack(tmp_path) as running:
        behind = owned_channels(running.registry, behind_utility)
        live = owned_channels(running.registry, live_utility)[0]
        async with (
            utility_client(running, behind_utility) as replaying,
            utility_client(running, live_utility) as current,
            running.api() as api,
        ):
            first = now_ms() - lag_ms  # utility A sends its readings 30 minutes late
            await _publish_gas(replaying, behind, first)
            await eventually(lambda: _stored(api, behind[-1], first), timeout_s=20.0)
            now = now_ms()  # utility B sends one live reading
            await current.publish(gas_topic(live), reading(now, lel_pct=1.0), qos=1)
            await eventually(lambda: _stored(api, live, now), timeout_s=20.0)

            # A goes on replaying, 30 minutes behind, for longer than a deadman time.
            deadline = time.monotonic() + TIMEOUT_S + 10
            while time.monotonic() < deadline:
                await _publish_gas(replaying, behind, now_ms() - lag_ms)
                await asyncio.sleep(3.0)
                offline = await _open_alerts(api, utility=behind_utility, rule="gas_offline")
                assert [a["source_id"] for a in offline] == []
                shown = await get_json(
                    api, "/api/v1/channels", {"owner": behind_utility, "state": "offline"}
                )
                assert [c["id"] for c in shown["items"]] == []
            states = await get_json(api, "/api/v1/channels", {"owner": behind_utility})
            assert {c["state"] for c in states["items"]} == {"normal"}
            assert states["total"] == len(behind)


@pytest.mark.slow
async def test_a_feed_that_stops_entirely_goes_offline_on_the_wall_clock(tmp_path: Path) -> None:
    gas_utility = "gas-zhongran"
    with _short_deadman_stack(tmp_path) as running:
        channels = owned_channels(running.registry, gas_utility)
        enterprise = _enterprise_with_stations(running.registry, 3)
        heat_utility = running.registry.enterprises[enterprise].owner
        stations = _stations(running.registry, enterprise)
        async with running.api() as api:
            async with (
                utility_client(running, gas_utility) as gas_client,
                utility_client(running, heat_utility) as heat_client,
            ):
                last = now_ms()
                await _publish_gas(gas_client, channels, last)
                await _publish_stations(heat_client, enterprise, stations, last)
                await eventually(lambda: _stored(api, channels[-1], last), timeout_s=20.0)
            # From now on nothing at all is sent by anyone: the event time stands still.

            async def all_offline() -> list[dict[str, Any]] | None:
                found = await _open_alerts(api, utility=gas_utility, rule="gas_offline")
                return found if len(found) == len(channels) else None

            alerts = await eventually(all_offline, timeout_s=TIMEOUT_S + 90, interval_s=1.0)
            assert {a["source_id"] for a in alerts} == set(channels)
            assert {a["raised_at_ms"] for a in alerts} == {last + TIMEOUT_S * 1000}
            shown = await get_json(api, "/api/v1/channels", {"owner": gas_utility, "limit": 1000})
            assert {c["state"] for c in shown["items"]} == {"offline"}

            async def enterprise_offline() -> list[dict[str, Any]] | None:
                found = await _open_alerts(api, source_id=enterprise, rule="enterprise_offline")
                return found or None

            (grouped,) = await eventually(enterprise_offline, timeout_s=30.0, interval_s=1.0)
            assert grouped["raised_at_ms"] == last + TIMEOUT_S * 1000
            # one alert for the enterprise, none per station
            assert await _open_alerts(api, enterprise=enterprise, rule="station_offline") == []
            detail = await get_json(api, f"/api/v1/enterprises/{enterprise}")
            assert detail["open_alert_count"] == 1


@pytest.mark.slow
async def test_a_device_that_never_reports_is_offline_after_its_no_data_time(
    tmp_path: Path,
) -> None:
    gas_utility = "gas-xinao"
    started = now_ms()
    with _short_deadman_stack(tmp_path) as running:
        silent, *talking = owned_channels(running.registry, gas_utility)
        enterprise = _enterprise_with_stations(running.registry, 3)
        silent_station, *talking_stations = _stations(running.registry, enterprise)
        never = _enterprise_with_stations(running.registry, 4, skip=[enterprise])
        heat_utility = running.registry.enterprises[enterprise].owner
        async with (
            running.api() as api,
            utility_client(running, gas_utility) as gas_client,
            utility_client(running, heat_utility) as heat_client,
        ):

            async def gas_round() -> None:
                await _publish_gas(gas_client, talking, now_ms())

            async def heat_round() -> None:
                await _publish_stations(heat_client, enterprise, talking_stations, now_ms())

            async def raised(source: str, rule: str) -> dict[str, Any] | None:
                found = await _open_alerts(api, source_id=source, rule=rule)
                return found[0] if found else None

            async with _every(5.0, gas_round, heat_round):
                wait = TIMEOUT_S + 90
                channel_alert = await eventually(
                    lambda: raised(silent, "gas_offline"), timeout_s=wait, interval_s=1.0
                )
                station_alert = await eventually(
                    lambda: raised(silent_station, "station_offline"),
                    timeout_s=wait,
                    interval_s=1.0,
                )
                never_alert = await eventually(
                    lambda: raised(never, "enterprise_offline"), timeout_s=wait, interval_s=1.0
                )
                await asyncio.sleep(3.0)  # the devices that do report stay on line
                offline_gas = await _open_alerts(api, utility=gas_utility, rule="gas_offline")
                offline_stations = await _open_alerts(api, rule="station_offline")
                offline_enterprises = await _open_alerts(api, rule="enterprise_offline")

        # Armed when the platform started: raised one no-data time after that.
        for alert in (channel_alert, station_alert, never_alert):
            assert started + TIMEOUT_S * 1000 <= alert["raised_at_ms"] <= now_ms()
        assert [a["source_id"] for a in offline_gas] == [silent]
        # Stations of enterprises that never reported are covered by one enterprise
        # alert each; only the silent station of a reporting enterprise has its own.
        assert [a["source_id"] for a in offline_stations] == [silent_station]
        enterprises = {a["source_id"] for a in offline_enterprises}
        assert never in enterprises
        assert enterprise not in enterprises
        assert len(enterprises) == len(running.registry.enterprises) - 1
