"""Fixtures that run the real ``lifeline up`` (embedded amqtt broker) on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import Stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(data_dir=tmp_path / "data")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api, headers=stack.headers, timeout=10.0) as client:
        yield client
