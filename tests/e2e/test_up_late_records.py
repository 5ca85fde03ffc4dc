"""Contract v1.1 "Guarantees": late and out-of-order records may raise or escalate an
alert but never clear it, so a device clock running ahead cannot hide a leak.

Driven as a utility would: a non-development ``lifeline up``, gas-huarun's own MQTT
account publishing for its own channels, the HTTP API with the admin token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.stack import eventually, gas_topic, now_ms
from tests.e2e.utility import get_json, owned_channels, reading, utility_client, utility_stack

UTILITY = "gas-huarun"
SKEW_MS = 290_000  # the contract accepts records up to 300 s in the future


async def _open_alert(api: httpx.AsyncClient, channel: str, rule: str) -> dict[str, Any] | None:
    page = await get_json(
        api, "/api/v1/alerts", {"source_id": channel, "rule": rule, "open": "true"}
    )
    items: list[dict[str, Any]] = page["items"]
    return items[0] if items else None


async def _seen_at(api: httpx.AsyncClient, channel: str, ts_ms: int) -> bool | None:
    """True once the record of ``channel`` at ``ts_ms`` has been stored (so evaluated
    before anything published after it)."""
    found = await get_json(api, f"/api/v1/channels/{channel}")
    return True if found["last_seen_ms"] == ts_ms else None


@pytest.mark.slow
async def test_late_records_raise_and_escalate_but_never_clear(tmp_path: Path) -> None:
    with utility_stack(tmp_path / "data") as running:
        skewed, leaking, escalated, cleared_late, late_event = owned_channels(
            running.registry, UTILITY
        )[:5]
        async with utility_client(running, UTILITY) as mqtt, running.api() as api:
            now = now_ms()

            async def publish(channel: str, ts_ms: int, what: str = "reading", **f: Any) -> None:
                await mqtt.publish(gas_topic(channel, what), reading(ts_ms, **f), qos=1)

            async def open_alert(channel: str, severity: str) -> dict[str, Any] | None:
                found = await _open_alert(api, channel, "gas_leak")
                return found if found and found["severity"] == severity else None

            # First what each device said last (in event time) ...
            await publish(skewed, now + SKEW_MS, lel_pct=1.0)  # a clock 290 s ahead
            await publish(late_event, now + SKEW_MS, "event", type="alarm_cleared")
            await publish(leaking, now, lel_pct=75.0)
            await publish(escalated, now, lel_pct=25.0)
            await publish(cleared_late, now, "event", type="alarm_high")
            await eventually(lambda: _seen_at(api, skewed, now + SKEW_MS), timeout_s=20.0)
            await eventually(lambda: _seen_at(api, late_event, now + SKEW_MS), timeout_s=20.0)
            leak = await eventually(lambda: open_alert(leaking, "critical"), timeout_s=20.0)
            await eventually(lambda: open_alert(escalated, "major"), timeout_s=20.0)
            latched = await eventually(lambda: open_alert(cleared_late, "critical"), timeout_s=20.0)

            # ... then records older than that.
            for i in range(5):  # the real-time leak readings of the skewed device
                await publish(skewed, now + i * 1000, lel_pct=75.0)
            await publish(leaking, now - 60_000, lel_pct=0.0)  # a late clean reading
            await publish(escalated, now - 30_000, lel_pct=60.0)  # a late worse reading
            await publish(cleared_late, now - 60_000, "event", type="alarm_cleared")
            await publish(late_event, now, "event", type="alarm_high")  # no LEL: the event path

            alert = await eventually(lambda: open_alert(skewed, "critical"), timeout_s=20.0)
            assert alert["state"] == "active_unacked"
            assert alert["value"] == 75.0
            assert alert["raised_at_ms"] == now  # the first leak reading, not the skewed one
            assert (await get_json(api, f"/api/v1/channels/{skewed}"))["state"] == "alarm"

            from_event = await eventually(
                lambda: open_alert(late_event, "critical"), timeout_s=20.0
            )
            assert from_event["state"] == "active_unacked"
            assert (await get_json(api, f"/api/v1/channels/{late_event}"))["state"] == "alarm"

            worse = await eventually(lambda: open_alert(escalated, "critical"), timeout_s=20.0)
            assert worse["state"] == "active_unacked"
            assert worse["value"] == 60.0
            assert worse["updated_at_ms"] == now  # not re-timed by the older reading

            # The late alarm event was published last on this connection, so the late
            # clean reading and the late clearing event have been evaluated by now: they
            # left their alerts as they were.
            for channel, before in ((leaking, leak), (cleared_late, latched)):
                after = await _open_alert(api, channel, "gas_leak")
                assert after is not None
                assert after["id"] == before["id"]
                assert after["state"] == "active_unacked"
                assert after["value"] == before["value"]
                assert (await get_json(api, f"/api/v1/channels/{channel}"))["state"] == "alarm"
