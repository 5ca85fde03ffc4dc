"""Row 1 of issue 11 across processes: two ``lifeline api`` processes on one data
directory (and a real Mosquitto) share the failed-login budget of an account."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import ADMIN_TOKEN
from tests.services import MosquittoServer, free_port

PASSWORD = "correct horse battery staple"


def _wait_healthy(port: int, log: Path, timeout_s: float = 45) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(log.read_text(errors="replace")[-3000:])


@pytest.fixture
def api_ports(tmp_path: Path, mosquitto: MosquittoServer) -> Iterator[list[int]]:
    env = {
        **os.environ,
        "LIFELINE_MQTT_URL": mosquitto.url,
        "LIFELINE_DATA_DIR": str(tmp_path / "data"),
        "LIFELINE_DEMO_METERS": "100",
        "LIFELINE_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    processes: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for n in range(2):  # one after the other: the first seeds the data directory
            port = free_port()
            log = tmp_path / f"api-{n}.log"
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "lifeline.cli", "api", "--api-port", str(port)],
                    env={**env, "LIFELINE_METRICS_PORT": str(free_port())},
                    stdout=log.open("ab"),
                    stderr=subprocess.STDOUT,
                )
            )
            _wait_healthy(port, log)
            ports.append(port)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
async def test_two_api_processes_check_at_most_the_limit_together(api_ports: list[int]) -> None:
    first, second = (f"http://127.0.0.1:{port}" for port in api_ports)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=first, headers=admin, timeout=30) as api:
        created = await api.post(
            "/api/v1/users", json={"username": "operator", "role": "operator", "password": PASSWORD}
        )
        assert created.status_code in (200, 201), created.text
    async with (
        httpx.AsyncClient(base_url=first, timeout=30) as one,
        httpx.AsyncClient(base_url=second, timeout=30) as two,
    ):
        answers = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/login", json={"username": "operator", "password": f"no-{i}"}
                )
                for i in range(20)
                for client in (one, two)
            )
        )
    codes = [a.status_code for a in answers]
    assert codes.count(401) <= 5, f"{codes.count(401)} passwords checked by two processes"
    assert codes.count(401) + codes.count(429) == 40, codes
