"""Issue 10.1: no record acknowledged to a publisher is ever lost on the embedded broker.

Driven from outside: ``lifeline up`` outside development mode, a utility's own MQTT
account, QoS 1 PUBACKs counted by the publisher, stored records counted in the
telemetry file on disk. The old embedded broker (amqtt 0.12.1) sent PUBACK before it
had delivered the message to the ingester and dropped a disconnected publisher's
pending deliveries: 1,505 of 3,000 acknowledged readings were stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

import aiomqtt
import pytest

from tests.e2e.stack import now_ms
from tests.e2e.utility import UtilityStack, owned_channels, reading, utility_client, utility_stack

pytestmark = pytest.mark.slow

UTILITY = "gas-huarun"


def stored_readings(data_dir: Path, channels: list[str], since_ms: int) -> int:
    """``lel_pct`` samples of ``channels`` at or after ``since_ms``, read from the file."""
    with sqlite3.connect(f"file:{data_dir / 'telemetry.db'}?mode=ro", uri=True) as db:
        marks = ",".join("?" * len(channels))
        (count,) = db.execute(
            f"SELECT count(*) FROM samples WHERE metric = 'lel_pct' AND ts_ms >= ? "
            f"AND source_id IN ({marks})",
            [since_ms, *channels],
        ).fetchone()
    return int(count)


async def settle(data_dir: Path, channels: list[str], since_ms: int, want: int) -> int:
    """The stored count once it reaches ``want`` or stops growing for 5 s (30 s cap)."""
    deadline = time.monotonic() + 30
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = await asyncio.to_thread(stored_readings, data_dir, channels, since_ms)
        if count >= want:
            return count
        if count != last:
            last, still_since = count, time.monotonic()
        elif time.monotonic() - still_since > 5:
            return count
        await asyncio.sleep(0.2)
    return last


def plan(running: UtilityStack, total: int, start_ms: int) -> list[tuple[str, bytes]]:
    """``total`` distinct readings (topic, payload) over the utility's channels."""
    channels = owned_channels(running.registry, UTILITY)
    return [
        (
            f"lifeline/v1/gas/{channels[i % len(channels)]}/reading",
            reading(start_ms + (i // len(channels)) * 10, lel_pct=1.0),
        )
        for i in range(total)
    ]


async def test_every_acknowledged_reading_is_stored_after_publisher_disconnects(
    tmp_path: Path,
) -> None:
    with utility_stack(tmp_path / "data") as running:
        channels = owned_channels(running.registry, UTILITY)
        start = now_ms() - 120_000
        messages = plan(running, 3000, start)
        async with utility_client(running, UTILITY, max_inflight=100) as client:
            await asyncio.gather(*(client.publish(t, p, qos=1, timeout=120) for t, p in messages))
        # every publish() above returned: every PUBACK arrived; the client is gone now
        stored = await settle(running.stack.data_dir, channels, start, len(messages))
        assert stored == len(messages), f"{len(messages) - stored} acknowledged readings lost"


async def test_acknowledged_readings_survive_kill_9_of_lifeline_up(tmp_path: Path) -> None:
    """PUBACKed before the kill => stored after the restart (the broker lived in memory)."""
    data_dir = tmp_path / "data"
    with utility_stack(data_dir) as running:
        channels = owned_channels(running.registry, UTILITY)
        start = now_ms() - 120_000
        messages = plan(running, 2500, start)
        acked: list[int] = []

        async def one(client: aiomqtt.Client, index: int) -> None:
            topic, payload = messages[index]
            await client.publish(topic, payload, qos=1, timeout=120)
            acked.append(index)

        async def stream() -> None:
            """Chunks of 50 in flight at a time; ``lifeline up`` is killed after 600."""
            async with utility_client(running, UTILITY, max_inflight=50) as client:
                for first in range(0, len(messages), 50):
                    if first >= 600:
                        running.stack.kill()
                        return  # what follows would only wait for a dead broker
                    chunk = range(first, min(first + 50, len(messages)))
                    await asyncio.gather(*(one(client, i) for i in chunk))

        with contextlib.suppress(aiomqtt.MqttError):
            await stream()
        assert len(acked) >= 600
        running.stack.start()
        acked_channels = {messages[i][0].split("/")[3] for i in acked}
        with sqlite3.connect(f"file:{data_dir / 'telemetry.db'}?mode=ro", uri=True) as db:
            stored = {
                (source, ts)
                for source, ts in db.execute(
                    "SELECT source_id, ts_ms FROM samples WHERE metric = 'lel_pct' AND ts_ms >= ?",
                    [start],
                )
            }
        missing = [
            i
            for i in acked
            if (messages[i][0].split("/")[3], start + (i // len(channels)) * 10) not in stored
        ]
        assert acked_channels
        assert missing == [], f"{len(missing)} of {len(acked)} acknowledged readings lost"
