"""Fixtures of the security tests: generated accounts for a small registry, and the two
brokers (a real Mosquitto, the embedded amqtt) started with the generated files."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiomqtt
import pytest

from lifeline.account_files import AccountFiles, ensure_accounts
from lifeline.core.registry import Registry
from tests.ingest.conftest import build_registry
from tests.services import MosquittoServer, free_port, require_binary, run_mosquitto, wait_for_port

# build_registry(): gas-huarun owns GAS-0001 and MTR-00000001, gas-ganghua owns GAS-0002,
# heat-001 owns HEAT-001 (station HEAT-001-S01), heat-002 owns HEAT-002.
OWN = "lifeline/v1/gas/GAS-0001/reading"  # gas-huarun's
FOREIGN = "lifeline/v1/gas/GAS-0002/reading"  # gas-ganghua's


@dataclass(frozen=True)
class Issued:
    files: AccountFiles
    passwords: dict[str, str]
    registry: Registry


def issue(directory: Path) -> Issued:
    registry = build_registry()
    files = AccountFiles(directory)
    issued = ensure_accounts(registry, files, prefix="lifeline/v1", demo=True)
    return Issued(files, {c.name: c.password for c in issued}, registry)


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    return issue(tmp_path_factory.mktemp("accounts"))


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (as tests/deploy does)."""
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [require_binary("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@dataclass(frozen=True)
class SecureMosquitto:
    server: MosquittoServer
    tls_port: int
    ca_file: Path


@pytest.fixture(scope="module")
def secure_mosquitto(
    accounts: Issued, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureMosquitto]:
    """Mosquitto with the GENERATED password file and ACL, plain and TLS listeners.

    run_mosquitto's config keeps Mosquitto running as the invoking user (``user``), so
    it reads the 0600 files as their owner."""
    work = tmp_path_factory.mktemp("secure-mosquitto")
    cert, key = self_signed(work)
    tls_port = free_port()
    extra = "\n".join(
        [
            "allow_anonymous false",
            f"password_file {accounts.files.mosquitto_passwd}",
            f"acl_file {accounts.files.mosquitto_acl}",
            f"listener {tls_port} 127.0.0.1",
            f"certfile {cert}",
            f"keyfile {key}",
            "tls_version tlsv1.2",
        ]
    )
    with run_mosquitto(work / "broker", extra) as server:
        wait_for_port(tls_port)
        yield SecureMosquitto(server, tls_port, cert)


@pytest.fixture(scope="module")
def amqtt_port(accounts: Issued, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The embedded broker (``python -m lifeline.broker``) loading the generated files."""
    port = free_port()
    log = (tmp_path_factory.mktemp("amqtt") / "broker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "lifeline.broker", "--port", str(port),
         "--accounts-dir", str(accounts.files.directory)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=20)
        yield port
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@contextlib.asynccontextmanager
async def connected(
    port: int,
    user: str | None,
    password: str | None,
    *,
    name: str,
    v5: bool = False,
) -> AsyncIterator[aiomqtt.Client]:
    protocol = aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311
    async with aiomqtt.Client(
        "127.0.0.1", port, username=user, password=password, identifier=name, protocol=protocol
    ) as client:
        yield client


async def topics_until(client: aiomqtt.Client, sentinel: str, timeout_s: float = 5.0) -> list[str]:
    """Topics delivered to ``client`` up to and including ``sentinel``.

    Messages of one publisher keep their order, so anything the broker let through
    before the sentinel has arrived by the time the sentinel does."""
    seen: list[str] = []
    async with asyncio.timeout(timeout_s):
        async for message in client.messages:
            seen.append(message.topic.value)
            if message.topic.value == sentinel:
                return seen
    return seen
