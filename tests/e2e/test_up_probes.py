"""Liveness and readiness of ``lifeline up`` (issue 11): while InfluxDB is down the spool
keeps every record, readiness (``/readyz``, ``/healthz``) says 503, and liveness
(``/livez``) stays 200, so an orchestrator's liveness probe never restarts a healthy
ingester. The spool files written meanwhile are private (0600, folders 0700)."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from lifeline.core.timeutil import now_ms
from tests.e2e.stack import eventually, gas_topic
from tests.e2e.utility import owned_channels, reading, utility_client, utility_stack
from tests.services import free_port


@pytest.mark.slow
async def test_livez_stays_200_while_readiness_is_503(tmp_path: Path) -> None:
    influx_down = f"influx://127.0.0.1:{free_port()}/lifeline"  # nothing listens there
    with utility_stack(tmp_path / "data", extra_args=["--store", influx_down]) as running:
        channel = owned_channels(running.registry, "gas-huarun")[0]
        async with utility_client(running, "gas-huarun") as gas:
            await gas.publish(gas_topic(channel), reading(now_ms(), lel_pct=4), qos=1)
        async with httpx.AsyncClient(base_url=running.stack.api, timeout=10) as api:

            async def not_ready() -> httpx.Response | None:
                response = await api.get("/readyz")
                return response if response.status_code == 503 else None

            ready = await eventually(not_ready, timeout_s=30, interval_s=0.2)
            assert ready.json()["components"]["telemetry_store"]["ok"] is False
            assert (await api.get("/healthz")).status_code == 503  # /healthz = readiness
            live = await api.get("/livez")
            assert (live.status_code, live.json()) == (200, {"status": "alive"})
        spool = list((running.stack.data_dir / "spool").rglob("*"))
        assert any(p.is_file() for p in spool)
        assert [p for p in spool if stat.S_IMODE(p.stat().st_mode) & 0o077] == []
