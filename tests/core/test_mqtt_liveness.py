"""A call waiting on a broker fails as soon as the connection is lost, not after its
timeout (aiomqtt leaves pending publishes waiting): real Mosquitto, stopped mid-call."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import aiomqtt
import pytest

from lifeline.mqtt.liveness import ConnectionLostError, while_connected
from tests.services import run_mosquitto


async def test_a_publish_on_a_dead_connection_fails_when_the_broker_goes(tmp_path: Path) -> None:
    with run_mosquitto(tmp_path / "mosquitto") as broker:
        client = aiomqtt.Client("127.0.0.1", broker.port, identifier="liveness", timeout=math.inf)
        async with client:
            waiting = asyncio.Event()

            async def never_acked() -> None:
                waiting.set()
                await asyncio.Event().wait()  # as a PUBACK that never comes

            started = time.monotonic()
            call = asyncio.ensure_future(while_connected(client, never_acked(), poll_s=0.1))
            await waiting.wait()
            broker.stop()
            with pytest.raises(ConnectionLostError):
                await call
            print(f"\nnoticed the lost connection after {time.monotonic() - started:.2f} s")
