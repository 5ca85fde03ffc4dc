"""Real external services for tests, started on free loopback ports.

When a service binary is missing the test is skipped, unless
``LIFELINE_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["MosquittoServer", "free_port", "require_binary", "run_mosquitto", "wait_for_port"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def require_binary(*candidates: str) -> str:
    """Path of the first binary found, else skip (or fail under LIFELINE_REQUIRE_SERVICES)."""
    for name in candidates:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    message = f"none of {candidates} is installed (.ci/run installs it)"
    if os.environ.get("LIFELINE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class MosquittoServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    config: Path

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def start(self) -> None:
        """(Re)start on the same port with the same config and persistence."""
        self.stop()
        binary = require_binary("mosquitto", "/usr/sbin/mosquitto")
        self.process = subprocess.Popen(
            [binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_for_port(self.port)


@contextlib.contextmanager
def run_mosquitto(workdir: Path, extra_config: str = "") -> Iterator[MosquittoServer]:
    """A Mosquitto on a free loopback port; ``extra_config`` is appended to its config.

    Without extra config it allows anonymous clients and keeps persistent sessions.
    """
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        "persistence true",
        f"persistence_location {workdir}/",
        # Mosquitto started as root drops to the "mosquitto" user, which cannot write a
        # root-owned persistence directory: its sessions would silently not survive a restart.
        "user root",
        "max_queued_messages 1000000",
        "max_inflight_messages 1000",
        "message_size_limit 1048576",
    ]
    if "allow_anonymous" not in extra_config:
        lines.append("allow_anonymous true")
    config.write_text("\n".join(lines) + "\n" + extra_config + "\n")
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = MosquittoServer("127.0.0.1", port, process, config)
    try:
        wait_for_port(port)
        yield server
    finally:
        server.stop()
