"""Alerts and their audit trail survive `kill -9` of `lifeline up` and a restart; the
stack also runs against an external Mosquitto (`--mqtt-url`)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.stack import ADMIN_TOKEN, Stack, eventually, gas_topic, now_ms, publish
from tests.services import MosquittoServer

ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def _open_alert(api: str, source: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(base_url=api, timeout=5, headers=ADMIN_HEADERS) as client:
        items = (await client.get("/api/v1/alerts", params={"source_id": source})).json()["items"]
    return items[0] if items else None


async def _nobody_listens(port: int) -> bool | None:
    """True once the embedded broker child of a killed stack has died with it."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    writer.close()
    return None


async def test_alerts_and_audit_survive_kill_9_and_restart(tmp_path: Path) -> None:
    stack = Stack(data_dir=tmp_path / "data")
    stack.start()
    try:
        await publish(stack, gas_topic("GAS-0030"), {"ts": now_ms(), "lel_pct": 35.0})

        async def raised() -> dict[str, Any] | None:
            return await _open_alert(stack.api, "GAS-0030")

        alert = await eventually(raised, timeout_s=5)
        async with httpx.AsyncClient(base_url=stack.api, headers=stack.headers) as client:
            acked = await client.post(
                f"/api/v1/alerts/{alert['id']}/ack",
                json={"actor": "op-li", "note": "crew 3 dispatched"},
            )
        assert acked.json()["state"] == "active_acked"
        process = stack.process
        stack.kill(signal.SIGKILL)
        assert process is not None
        assert process.returncode == -signal.SIGKILL
        await eventually(lambda: _nobody_listens(stack.mqtt_port), timeout_s=5)
    finally:
        stack.stop()

    restarted = Stack(data_dir=stack.data_dir, api_port=stack.api_port, mqtt_port=stack.mqtt_port)
    restarted.start()
    try:
        async with httpx.AsyncClient(base_url=restarted.api, headers=restarted.headers) as client:
            detail = (await client.get(f"/api/v1/alerts/{alert['id']}")).json()
            assert detail["state"] == "active_acked"
            assert detail["acked_by"] == "bootstrap-admin"
            actions = [(e["action"], e["actor"], e["note"]) for e in detail["audit"]]
            assert ("ack", "bootstrap-admin", "crew 3 dispatched") in actions
            assert len(actions) == 2  # raised, acked: nothing lost, nothing invented

            # the same condition after the restart updates the same alert: no duplicate
            await publish(restarted, gas_topic("GAS-0030"), {"ts": now_ms(), "lel_pct": 55.0})

            async def escalated() -> dict[str, Any] | None:
                found = await _open_alert(restarted.api, "GAS-0030")
                return found if found and found["severity"] == "critical" else None

            again = await eventually(escalated, timeout_s=5)
            assert again["id"] == alert["id"]
            listing = (await client.get("/api/v1/alerts", params={"source_id": "GAS-0030"})).json()
            assert listing["total"] == 1
    finally:
        restarted.stop()


async def test_up_with_an_external_mosquitto(tmp_path: Path, mosquitto: MosquittoServer) -> None:
    stack = Stack(data_dir=tmp_path / "data", mqtt_url=mosquitto.url)
    stack.start()
    try:
        await publish(stack, gas_topic("GAS-0040"), {"ts": now_ms(), "lel_pct": 60.0})

        async def raised() -> dict[str, Any] | None:
            return await _open_alert(stack.api, "GAS-0040")

        alert = await eventually(raised, timeout_s=3)
        assert alert["severity"] == "critical"
        async with httpx.AsyncClient(base_url=stack.api, headers=stack.headers) as client:
            health = (await client.get("/healthz")).json()
        assert "broker" not in health["components"]  # no embedded broker was started
        assert health["components"]["ingest"]["ok"] is True
    finally:
        stack.stop()
