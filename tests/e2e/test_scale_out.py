"""The scaled-out topology on a real Mosquitto: two ingest workers on one shared
subscription, two rules workers owning half of the partitions each, and the API acting
on alerts through the worker that owns them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import msgspec
import pytest

from lifeline.core.partitions import partition_of
from tests.e2e.stack import ADMIN_TOKEN, eventually, gas_topic, now_ms
from tests.services import MosquittoServer, free_port

CHANNELS = [f"GAS-{n:04d}" for n in range(1, 201)]
LEAKING = CHANNELS[::20]  # 10 channels spread over the partitions


class Roles:
    def __init__(self, tmp: Path, broker: MosquittoServer) -> None:
        self.tmp = tmp
        self.api_port = free_port()
        self.env = {
            **os.environ,
            "LIFELINE_MQTT_URL": broker.url,
            "LIFELINE_DATA_DIR": str(tmp / "data"),
            "LIFELINE_DEMO_METERS": "100",
            "LIFELINE_PARTITIONS": "16",
            "LIFELINE_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.ops_ports: dict[str, int] = {}

    def start(self, name: str, *args: str, **env: str) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.ops_ports[name] = free_port()
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "lifeline.cli", *args],
                env={**self.env, "LIFELINE_METRICS_PORT": str(self.ops_ports[name]), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def wait_api(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.api_port}/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError((self.tmp / "api.log").read_text()[-3000:])

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def roles(tmp_path: Path, mosquitto: MosquittoServer) -> Iterator[Roles]:
    running = Roles(tmp_path, mosquitto)
    try:
        running.start("api", "api", "--api-port", str(running.api_port))
        running.wait_api()  # the first process seeds the registry
        running.start("ingest-1", "ingest", LIFELINE_INSTANCE="i1")
        running.start("ingest-2", "ingest", LIFELINE_INSTANCE="i2")
        running.start("rules-a", "rules", "--partitions", "0-7")
        running.start("rules-b", "rules", "--partitions", "8-15")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            logs = [running.log(n) for n in ("ingest-1", "ingest-2", "rules-a", "rules-b")]
            if all("_subscribed" in text for text in logs):
                break
            time.sleep(0.2)
        else:
            raise TimeoutError("workers did not subscribe")
        yield running
    finally:
        running.stop()


@pytest.mark.slow
async def test_shared_ingest_and_partitioned_rules_raise_each_alert_once(
    roles: Roles, mosquitto: MosquittoServer
) -> None:
    start = now_ms() - 60_000
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="gateway") as client:
        for step in range(10):  # 10 rounds of normal readings for 200 channels
            for channel in CHANNELS:
                body = {"ts": start + step * 1000, "lel_pct": 1.0 + step * 0.1}
                await client.publish(gas_topic(channel), msgspec.json.encode(body), qos=1)
        for channel in LEAKING:
            body = {"ts": start + 30_000, "lel_pct": 60.0}
            await client.publish(gas_topic(channel), msgspec.json.encode(body), qos=1)

    assert {partition_of(c, 16) < 8 for c in LEAKING} == {True, False}  # both workers busy
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{roles.api_port}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as api:

        async def all_raised() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = (
                await api.get("/api/v1/alerts", params={"limit": 100})
            ).json()["items"]
            return items if len(items) >= len(LEAKING) else None

        alerts = await eventually(all_raised, timeout_s=20, interval_s=0.2)
        assert sorted(a["source_id"] for a in alerts) == sorted(LEAKING)  # once each
        assert {a["severity"] for a in alerts} == {"critical"}

        async def all_stored() -> int | None:
            points = 0
            for channel in CHANNELS[:5]:
                response = await api.get(
                    f"/api/v1/series/{channel}",
                    params={"metric": "lel_pct", "start": start - 1, "end": now_ms(), "step": 1000},
                )
                points += sum(b["count"] for b in response.json()["buckets"])
            return points if points == 5 * 10 + 1 else None  # GAS-0001 also leaked

        assert await eventually(all_stored, timeout_s=20) == 51

        for alert in alerts[:4]:  # actions reach the worker owning each alert
            response = await api.post(
                f"/api/v1/alerts/{alert['id']}/ack", json={"actor": "op-wang", "note": "seen"}
            )
            assert response.status_code == 200, response.text
            assert response.json()["state"] == "active_acked"
            detail = (await api.get(f"/api/v1/alerts/{alert['id']}")).json()
            assert ("ack", "bootstrap-admin") in [
                (e["action"], e["actor"]) for e in detail["audit"]
            ]
        again = await api.post(f"/api/v1/alerts/{alerts[0]['id']}/ack", json={"actor": "x"})
        assert again.status_code == 409  # the owning worker refused a second ack
    async with httpx.AsyncClient() as ops:
        handled = []
        for name in ("ingest-1", "ingest-2", "rules-a", "rules-b"):
            base = f"http://127.0.0.1:{roles.ops_ports[name]}"
            assert (await ops.get(f"{base}/healthz")).status_code == 200, name
            metrics = (await ops.get(f"{base}/metrics")).text
            if name.startswith("ingest"):
                handled.append(_value(metrics, "lifeline_ingest_messages_total"))
    # the shared subscription spread the 2,010 messages over both workers
    assert sum(handled) == len(CHANNELS) * 10 + len(LEAKING)
    assert min(handled) > 0


def _value(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in metrics")


@pytest.mark.slow
async def test_registry_edit_in_the_api_process_reaches_the_rules_workers(
    roles: Roles, mosquitto: MosquittoServer
) -> None:
    channel = "GAS-0042"
    ts = now_ms() - 60_000
    async with (
        aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="gateway") as client,
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{roles.api_port}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as api,
    ):
        body = {"ts": ts, "lel_pct": 1.0}  # evaluated once with the shipped 20 / 50 %LEL
        await client.publish(gas_topic(channel), msgspec.json.encode(body), qos=1)

        async def seen() -> bool | None:
            found = (await api.get(f"/api/v1/channels/{channel}")).json()
            return True if found["last_seen_ms"] == ts else None

        await eventually(seen, timeout_s=20)
        edited = await api.put(
            f"/api/v1/channels/{channel}", json={"low_pct": 10.0, "high_pct": 30.0}
        )
        assert edited.status_code == 200, edited.text

        async def critical_at_the_new_high() -> dict[str, Any] | None:
            # 35 %LEL: major under the old set-points, critical under the new high (30);
            # a reading per probe, so the worker judges one after it reloaded the registry
            nonlocal ts
            ts += 1000
            body = {"ts": ts, "lel_pct": 35.0}
            await client.publish(gas_topic(channel), msgspec.json.encode(body), qos=1)
            params = {"source_id": channel, "rule": "gas_leak", "open": "true"}
            items = (await api.get("/api/v1/alerts", params=params)).json()["items"]
            if items and (items[0]["severity"], items[0]["threshold"]) == ("critical", 30.0):
                found: dict[str, Any] = items[0]
                return found
            return None

        alert = await eventually(critical_at_the_new_high, timeout_s=30, interval_s=0.5)
        assert alert["state"] == "active_unacked"
