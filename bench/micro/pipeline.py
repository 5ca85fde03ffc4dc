"""Micro-benchmarks of the hot path, in-process: decode, store write, rule engine, API.

    .venv/bin/python -m bench.micro.pipeline [--records 200000]

Prints one line per stage (records/s or ms); docs/benchmarks.md records the figures.
The end-to-end benchmark over MQTT is `lifeline bench` (issue 7).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
import msgspec

from alerts.engine import AlertEngine
from alerts.rules import load_rules
from api.app import create_app
from api.auth.secrets import API_KEY_PREFIX, new_token, token_hash
from api.deps import ApiDeps
from ingest.decode import decode_message
from lifeline.core.identity import Credential, CredentialKind, Role, User
from lifeline.core.records import Record
from lifeline.core.timeutil import SystemClock, now_ms
from lifeline.core.topics import gas_reading_topic, station_topic
from lifeline.seed import generate_registry
from store import SqliteAlertStore, SqliteAuthStore, SqliteDeadLetterStore, SqliteTelemetryStore


def _messages(count: int) -> list[tuple[str, bytes]]:
    registry = generate_registry(meters=0)
    channels = sorted(registry.channels)
    stations = sorted(registry.stations.values(), key=lambda s: s.id)
    start = now_ms() - count * 10
    out: list[tuple[str, bytes]] = []
    for i in range(count):
        ts = start + i * 10
        if i % 3:
            channel = channels[i % len(channels)]
            body = {"ts": ts, "lel_pct": 1.5 + (i % 7) * 0.1, "temp_c": 21.0, "battery_v": 3.6}
            out.append((gas_reading_topic(channel), msgspec.json.encode(body)))
        else:
            st = stations[i % len(stations)]
            body = {
                "ts": ts,
                "primary_supply_temp_c": 95.0,
                "primary_return_temp_c": 48.0,
                "primary_supply_pressure_mpa": 0.9,
                "secondary_supply_temp_c": 50.0,
                "secondary_return_temp_c": 38.0,
                "secondary_supply_pressure_mpa": 0.45,
                "indoor_temp_c": 21.0,
                "pump_running": True,
            }
            out.append((station_topic(st.enterprise_id, st.id), msgspec.json.encode(body)))
    return out


async def _records_per_s(
    step: Callable[[Sequence[Record]], Awaitable[None]], records: list[Record]
) -> float:
    """``step`` over ``records`` in batches of 1,000: records per second."""
    started = time.perf_counter()
    for i in range(0, len(records), 1000):
        await step(records[i : i + 1000])
    return len(records) / (time.perf_counter() - started)


async def main(records: int) -> None:
    registry = generate_registry()
    messages = _messages(records)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )

    started = time.perf_counter()
    decoded: list[Record] = []
    now = now_ms()
    for topic, payload in messages:
        decoded.extend(decode_message(topic, payload, registry=registry, now_ms=now).records)
    took = time.perf_counter() - started
    print(f"decode: {len(decoded) / took:,.0f} records/s (single messages, JSON)")

    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteTelemetryStore(Path(tmp) / "telemetry.db")
        rate = await _records_per_s(store.write, decoded)
        print(f"sqlite write: {rate:,.0f} records/s (batches of 1,000)")

        alerts = SqliteAlertStore(Path(tmp) / "lifeline.db")
        engine = AlertEngine(load_rules(None), registry, alerts, [], SystemClock())
        await engine.start()
        rate = await _records_per_s(engine.accept, decoded)
        print(f"rule engine: {rate:,.0f} records/s (no alert changes)")

        auth = SqliteAuthStore(Path(tmp) / "lifeline.db")
        token = new_token(API_KEY_PREFIX)
        await auth.put_user(User("bench", Role.OPERATOR, now_ms()))
        await auth.add_credential(
            Credential(token_hash(token), CredentialKind.API_KEY, "bench", "bench", now_ms())
        )
        app = create_app(
            ApiDeps(
                registry=registry,
                telemetry=store,
                alerts=alerts,
                actions=engine,
                deadletters=SqliteDeadLetterStore(Path(tmp) / "lifeline.db"),
                clock=SystemClock(),
                auth=auth,
            )
        )
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            for path in ("/api/v1/channels?limit=1000", "/api/v1/enterprises?limit=1000"):
                await client.get(path)
                runs = 20
                started = time.perf_counter()
                for _ in range(runs):
                    response = await client.get(path)
                    response.raise_for_status()
                took = (time.perf_counter() - started) / runs
                print(f"GET {path}: {took * 1000:.1f} ms")
            channel = sorted(registry.channels)[1]
            day = 24 * 3600 * 1000
            path = f"/api/v1/series/{channel}?metric=lel_pct&start={now - day}&end={now}"
            started = time.perf_counter()
            (await client.get(path)).raise_for_status()
            print(f"GET series 24 h downsampled: {(time.perf_counter() - started) * 1000:.1f} ms")
        await engine.stop()
        await store.close()
        await alerts.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().records))
