"""Telemetry the browser tests publish to a real ``lifeline up`` over MQTT."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiomqtt
import msgspec

from lifeline.core.topics import gas_event_topic, gas_reading_topic, station_topic
from lifeline.seed import generate_registry
from tests.e2e.stack import Stack, now_ms

__all__ = ["CHANNELS", "REGISTRY", "STATIONS", "publish_many", "quiet_city"]

WINDOW = 200
REGISTRY = generate_registry(meters=5)  # seeding is deterministic: same ids as the stack
CHANNELS = sorted(REGISTRY.channels)
STATIONS = sorted(REGISTRY.stations.values(), key=lambda s: s.id)


async def publish_many(stack: Stack, messages: list[tuple[str, Any]]) -> None:
    """Publish (topic, payload) pairs on one connection, QoS 1, up to WINDOW in flight
    (one at a time, each waits for the round trip through store and rule engine)."""
    host, port = stack.mqtt_host_port
    async with aiomqtt.Client(host, port, max_inflight_messages=WINDOW) as client:
        for at in range(0, len(messages), WINDOW):
            await asyncio.gather(
                *(
                    client.publish(topic, msgspec.json.encode(payload), qos=1, timeout=60)
                    for topic, payload in messages[at : at + WINDOW]
                )
            )


def quiet_city(ts_ms: int | None = None) -> list[tuple[str, Any]]:
    """Normal readings for every channel and normal telemetry for every station."""
    ts = now_ms() if ts_ms is None else ts_ms
    rng = random.Random(7)
    messages: list[tuple[str, Any]] = [
        (gas_reading_topic(c), {"ts": ts, "lel_pct": round(rng.uniform(0, 4), 1)}) for c in CHANNELS
    ]
    messages += [
        (
            station_topic(s.enterprise_id, s.id),
            {
                "ts": ts,
                "primary_supply_temp_c": round(rng.uniform(85, 95), 1),
                "primary_supply_pressure_mpa": round(rng.uniform(0.8, 1.0), 2),
                "secondary_supply_temp_c": round(rng.uniform(45, 52), 1),
                "secondary_supply_pressure_mpa": 0.45,
                "indoor_temp_c": round(rng.uniform(19.5, 22.5), 1),
            },
        )
        for s in STATIONS
    ]
    return messages


def gas(channel: str, lel_pct: float, ts_ms: int | None = None) -> tuple[str, Any]:
    return gas_reading_topic(channel), {
        "ts": now_ms() if ts_ms is None else ts_ms,
        "lel_pct": lel_pct,
    }


def gas_event(channel: str, kind: str, ts_ms: int | None = None) -> tuple[str, Any]:
    return gas_event_topic(channel), {"ts": now_ms() if ts_ms is None else ts_ms, "type": kind}
