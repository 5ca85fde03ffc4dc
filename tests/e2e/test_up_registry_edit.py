"""An administrator's registry edit (``PUT /api/v1/channels/{id}``) takes effect at once:
the next reading is judged against the new set-points, without a restart.

Driven as a utility would: a non-development ``lifeline up``, gas-huarun's own MQTT
account publishing for its own channels, the HTTP API with the admin token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import eventually, gas_topic, now_ms
from tests.e2e.utility import get_json, owned_channels, reading, utility_client, utility_stack

UTILITY = "gas-huarun"


@pytest.mark.slow
async def test_edited_set_points_apply_to_the_next_reading(tmp_path: Path) -> None:
    with utility_stack(tmp_path / "data") as running:
        raised_high, raised_low = owned_channels(running.registry, UTILITY)[:2]
        async with utility_client(running, UTILITY) as mqtt, running.api() as api:
            now = now_ms()
            # Both channels are evaluated once with the shipped set-points (20 / 50 %LEL).
            for channel in (raised_high, raised_low):
                await mqtt.publish(gas_topic(channel), reading(now, lel_pct=5.0), qos=1)

            async def seen(channel: str) -> bool | None:
                found = await get_json(api, f"/api/v1/channels/{channel}")
                return True if found["last_seen_ms"] == now else None

            await eventually(lambda: seen(raised_high), timeout_s=20.0)
            await eventually(lambda: seen(raised_low), timeout_s=20.0)

            for channel in (raised_high, raised_low):
                edited = await api.put(
                    f"/api/v1/channels/{channel}", json={"low_pct": 10.0, "high_pct": 30.0}
                )
                assert edited.status_code == 200, edited.text
                assert (edited.json()["low_pct"], edited.json()["high_pct"]) == (10.0, 30.0)

            # 35 %LEL: major under the old set-points, critical under the new high (30).
            await mqtt.publish(gas_topic(raised_high), reading(now + 1000, lel_pct=35.0), qos=1)
            # 12 %LEL: nothing under the old low (20), major under the new low (10).
            await mqtt.publish(gas_topic(raised_low), reading(now + 1000, lel_pct=12.0), qos=1)

            async def alert_of(channel: str) -> dict[str, Any] | None:
                page = await get_json(
                    api,
                    "/api/v1/alerts",
                    {"source_id": channel, "rule": "gas_leak", "open": "true"},
                )
                items: list[dict[str, Any]] = page["items"]
                return items[0] if items else None

            high = await eventually(lambda: alert_of(raised_high), timeout_s=20.0)
            assert (high["severity"], high["threshold"]) == ("critical", 30.0)
            low = await eventually(lambda: alert_of(raised_low), timeout_s=20.0)
            assert (low["severity"], low["threshold"]) == ("major", 10.0)
            assert (await get_json(api, f"/api/v1/channels/{raised_low}"))["state"] == "alarm"
