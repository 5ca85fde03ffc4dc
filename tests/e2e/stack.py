"""Drive a real ``lifeline up`` process from tests: ports, data dir, API and MQTT helpers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiomqtt
import httpx
import msgspec

from tests.services import free_port

T = TypeVar("T")

# The API's bootstrap admin token of every test stack (issue 6): clients send ``headers``.
ADMIN_TOKEN = "e2e-bootstrap-admin-token-0123456789abcdef"


@dataclass
class Stack:
    """A ``lifeline up`` child process on free ports with its own data directory."""

    data_dir: Path
    api_port: int = field(default_factory=free_port)
    mqtt_port: int = field(default_factory=free_port)
    mqtt_url: str | None = None
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def headers(self) -> dict[str, str]:
        """Authorization for the API (the bootstrap admin token)."""
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @property
    def mqtt_host_port(self) -> tuple[str, int]:
        if self.mqtt_url is None:
            return "127.0.0.1", self.mqtt_port
        host_port = self.mqtt_url.split("://", 1)[1].rsplit("@", 1)[-1]
        host, port = host_port.split(":")
        return host, int(port)

    def start(self, timeout_s: float = 60.0) -> None:
        args = [
            sys.executable,
            "-m",
            "lifeline.cli",
            "up",
            "--data-dir",
            str(self.data_dir),
            "--api-port",
            str(self.api_port),
            "--mqtt-port",
            str(self.mqtt_port),
            *self.extra_args,
        ]
        if self.mqtt_url is not None:
            args += ["--mqtt-url", self.mqtt_url]
        # Development mode (anonymous embedded broker) unless a test sets it to "0".
        env = {
            **os.environ,
            "LIFELINE_DEMO_METERS": "500",
            "LIFELINE_DEV_MODE": "1",
            "LIFELINE_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "stack.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lifeline up exited: {self.log_tail()}")
            try:
                response = httpx.get(f"{self.api}/healthz", timeout=1.0)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()  # never leave a process behind a failed start
        raise TimeoutError(f"lifeline up not healthy after {timeout_s}s: {self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout_s: float = 10.0, interval_s: float = 0.05
) -> T:
    """Poll ``probe`` until it returns something other than None."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


async def publish(
    stack: Stack, topic: str, payload: bytes | dict[str, Any] | list[Any], qos: int = 1
) -> None:
    data = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    host, port = stack.mqtt_host_port
    async with aiomqtt.Client(host, port) as client:
        await client.publish(topic, data, qos=qos)


def gas_topic(channel: str, what: str = "reading") -> str:
    return f"lifeline/v1/gas/{channel}/{what}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000
