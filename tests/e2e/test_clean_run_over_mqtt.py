"""A clean simulated run through the real broker, ingester and engine raises no alert."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import Stack, eventually


def _ingested(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("lifeline_ingest_messages_total "):
            return float(line.split()[1])
    return 0.0


@pytest.mark.slow
async def test_ten_clean_simulated_minutes_over_mqtt_raise_no_alert(
    stack: Stack, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    host, port = stack.mqtt_host_port
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lifeline.cli",
        "simulate",
        "--mqtt-url",
        f"mqtt://{host}:{port}",
        "--duration",
        "10m",
        "--speed",
        "120",
        "--meters",
        "500",
        "--data-dir",
        str(tmp_path / "sim"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode == 0, stderr.decode()[-2000:]
    lines = stderr.decode().splitlines()
    done = [json.loads(line) for line in lines if "simulation_done" in line]
    published = done[-1]["messages"]
    assert published > 20_000  # 525 channels and ~1,500 stations for ten minutes

    async def caught_up() -> float | None:
        seen = _ingested((await api.get("/metrics")).text)
        return seen if seen >= published else None

    assert await eventually(caught_up, timeout_s=60, interval_s=0.5) == published
    await asyncio.sleep(2.5)  # two engine ticks (deadman checks) after the last record
    alerts = (await api.get("/api/v1/alerts", params={"limit": 1000})).json()
    assert [(a["source_id"], a["rule"], a["message"]) for a in alerts["items"]] == []
    rejects = (await api.get("/api/v1/rejects/summary")).json()
    assert rejects["total"] == 0
    normal = (await api.get("/api/v1/channels", params={"state": "normal"})).json()
    assert normal["total"] == 525
