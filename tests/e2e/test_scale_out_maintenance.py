"""Maintenance windows in the scaled-out topology: planned in the API process, carried
out by each rules worker on the alerts of its own partitions (it polls the window store)."""

from __future__ import annotations

from typing import Any

import aiomqtt
import httpx
import msgspec
import pytest

from lifeline.core.partitions import partition_of
from tests.e2e.stack import ADMIN_TOKEN, eventually, gas_topic, now_ms
from tests.e2e.test_scale_out import Roles, roles  # noqa: F401  (the topology fixture)
from tests.services import MosquittoServer

CHANNELS = ("GAS-0041", "GAS-0042")


@pytest.mark.slow
async def test_both_rules_workers_suppress_and_restore_their_sources(
    roles: Roles,  # noqa: F811
    mosquitto: MosquittoServer,
) -> None:
    assert {partition_of(c, 16) < 8 for c in CHANNELS} == {True, False}  # one per worker
    async with (
        aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="gateway") as client,
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{roles.api_port}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as api,
    ):
        windows = []
        for channel in CHANNELS:
            body = {"target_id": channel, "start": now_ms() - 1000, "end": now_ms() + 3_600_000,
                    "reason": "valve work"}  # fmt: skip
            created = await api.post("/api/v1/maintenance", json=body)
            assert created.status_code == 201, created.text
            windows.append(created.json()["id"])

        async def suppressed() -> list[dict[str, Any]] | None:
            # a reading per probe; an alert raised before a worker saw its window (it polls
            # every 2 s) is taken out of service by the window's start on that worker
            ts = now_ms()
            for channel in CHANNELS:
                body = {"ts": ts, "lel_pct": 60.0}
                await client.publish(gas_topic(channel), msgspec.json.encode(body), qos=1)
            items: list[dict[str, Any]] = (
                await api.get("/api/v1/alerts", params={"open": "true"})
            ).json()["items"]
            mine = [a for a in items if a["source_id"] in CHANNELS]
            quiet = len(mine) == 2 and {a["state"] for a in mine} == {"out_of_service"}
            return mine if quiet else None

        await eventually(suppressed, timeout_s=30, interval_s=1.0)
        for window in windows:
            assert (await api.delete(f"/api/v1/maintenance/{window}")).status_code == 200

        async def restored() -> set[str] | None:
            items = (await api.get("/api/v1/alerts", params={"open": "true"})).json()["items"]
            states = {a["state"] for a in items if a["source_id"] in CHANNELS}
            return states if states == {"active_unacked"} else None

        assert await eventually(restored, timeout_s=20, interval_s=0.5) == {"active_unacked"}
