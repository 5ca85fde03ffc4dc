"""Drive ``lifeline up`` as a utility would: outside development mode, with the MQTT
accounts ``lifeline accounts`` issued, through a real MQTT client with that utility's
own username and password.

The stacks seed the demo registry (``LIFELINE_DEMO_METERS=500``); :func:`demo_registry`
rebuilds it so a test can pick the devices a utility owns (:func:`owned_channels`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import msgspec

from lifeline.core.registry import Registry
from lifeline.seed import generate_registry
from tests.e2e.stack import Stack

__all__ = [
    "UtilityStack",
    "demo_registry",
    "get_json",
    "issue_accounts",
    "owned_channels",
    "reading",
    "utility_client",
    "utility_stack",
]

DEMO_METERS = 500


def issue_accounts(data_dir: Path) -> dict[str, str]:
    """Run ``lifeline accounts`` as an operator would; ``{account: password}``."""
    env = {**os.environ, "LIFELINE_DEMO_METERS": str(DEMO_METERS), "LIFELINE_DEV_MODE": "0"}
    issued = subprocess.run(
        [sys.executable, "-m", "lifeline.cli", "accounts", "--data-dir", str(data_dir)],
        env=env, check=True, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    return {line.split("\t")[0]: line.split("\t")[2] for line in issued.stdout.splitlines()}


def demo_registry() -> Registry:
    """The registry ``lifeline up`` seeds for the test stacks (same seed, same size)."""
    return generate_registry(meters=DEMO_METERS)


def owned_channels(registry: Registry, utility: str) -> list[str]:
    """The gas channels ``utility`` owns, in id order."""
    return sorted(c.id for c in registry.channels.values() if c.owner == utility)


@dataclass
class UtilityStack:
    """A non-development ``lifeline up`` and the utility passwords issued for it."""

    stack: Stack
    passwords: dict[str, str]
    registry: Registry = field(default_factory=demo_registry)

    @property
    def port(self) -> int:
        return self.stack.mqtt_host_port[1]

    def api(self, timeout: float = 15.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.stack.api, headers=self.stack.headers, timeout=timeout
        )


@contextlib.contextmanager
def utility_stack(
    data_dir: Path, env: dict[str, str] | None = None, extra_args: Sequence[str] = ()
) -> Iterator[UtilityStack]:
    """Issue accounts, start ``lifeline up`` outside development mode, stop it after."""
    passwords = issue_accounts(data_dir)
    stack = Stack(
        data_dir=data_dir,
        env={"LIFELINE_DEV_MODE": "0", **(env or {})},
        extra_args=list(extra_args),
    )
    stack.start()
    try:
        yield UtilityStack(stack, passwords)
    finally:
        stack.stop()


@contextlib.asynccontextmanager
async def utility_client(
    running: UtilityStack,
    utility: str,
    *,
    name: str | None = None,
    clean_session: bool = True,
    max_inflight: int | None = None,
) -> AsyncIterator[aiomqtt.Client]:
    """An MQTT 3.1.1 client logged in as ``utility`` with its issued password."""
    client = aiomqtt.Client(
        "127.0.0.1",
        running.port,
        username=utility,
        password=running.passwords[utility],
        identifier=name or f"{utility}-test",
        clean_session=clean_session,
        max_inflight_messages=max_inflight,
    )
    async with client:
        yield client


def reading(ts_ms: int, **fields: Any) -> bytes:
    """A contract record as JSON bytes."""
    return msgspec.json.encode({"ts": ts_ms, **fields})


async def get_json(
    client: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None
) -> Any:
    response = await client.get(path, params=params)
    response.raise_for_status()
    return response.json()
