"""Issue 11 rows 7 and 9, probed from outside against the embedded broker of a
non-development ``lifeline up``, as a utility with its issued password:

- row 7: a 3 MiB PUBLISH is refused before its body is read (the connection is closed,
  the process does not grow by the payloads), counted in ``lifeline_broker_oversized_total``;
  a normal publish on a new connection still works;
- row 9: a flood of wrong-password CONNECTs from one address is refused and throttled
  (refused without hashing), while a connected utility's QoS 1 publishes all succeed,
  the same utility can still reconnect from that address, and a refused CONNECT that
  names a connected client's id leaves that client connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import statistics
import time
from pathlib import Path

import pytest

from lifeline.core.timeutil import now_ms
from tests.e2e.stack import gas_topic
from tests.e2e.utility import UtilityStack, owned_channels, reading, utility_client, utility_stack

OVERSIZED = b"{" + b" " * (3 * 1024 * 1024) + b"}"  # 3 MiB, announced in the fixed header


def _rss_mb(pid: int) -> float:
    status = (Path("/proc") / str(pid) / "status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


def _sample(text: str, series: str) -> float:
    """The value of one Prometheus series (``name`` or ``name{labels}``), 0 when absent."""
    match = re.search(rf"^{re.escape(series)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def _metrics(running: UtilityStack) -> str:
    async with running.api() as api:
        response = await api.get("/metrics")
        response.raise_for_status()
        return response.text


def _mqtt_string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def _connect_packet(client_id: str, username: str, password: str) -> bytes:
    flags = 0x80 | 0x40 | 0x02  # user name, password, clean session
    body = b"\x00\x04MQTT\x04" + bytes([flags]) + (30).to_bytes(2, "big")
    body += _mqtt_string(client_id) + _mqtt_string(username) + _mqtt_string(password)
    assert len(body) < 128  # one length byte
    return b"\x10" + bytes([len(body)]) + body


async def _bad_connect(port: int, client_id: str, username: str) -> int | None:
    """CONNECT with a wrong password: the CONNACK return code, None if just closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_connect_packet(client_id, username, "not-the-password"))
        await writer.drain()
        connack = await asyncio.wait_for(reader.read(4), 30)
        return connack[3] if len(connack) == 4 else None
    finally:
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)


async def _publish_raw(running: UtilityStack, name: str, topic: str, payload: bytes) -> bytes:
    """Log in as gas-huarun, send one QoS 1 PUBLISH; what came back before the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
    try:
        writer.write(_connect_packet(name, "gas-huarun", running.passwords["gas-huarun"]))
        assert await asyncio.wait_for(reader.readexactly(4), 30) == b"\x20\x02\x00\x00"
        body = _mqtt_string(topic) + (1).to_bytes(2, "big") + payload
        writer.write(b"\x32" + _remaining_length(len(body)) + body)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        answer = b""
        with contextlib.suppress(ConnectionError):
            answer = await asyncio.wait_for(reader.read(4), 30)  # PUBACK, or b"" if closed
        return answer
    finally:
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)


def _remaining_length(length: int) -> bytes:
    encoded = bytearray()
    while True:
        length, digit = divmod(length, 128)
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(encoded)


@pytest.mark.slow
async def test_embedded_broker_refuses_oversized_packets_unread(tmp_path: Path) -> None:
    with utility_stack(tmp_path / "data") as running:
        assert running.stack.process is not None
        pid = running.stack.process.pid
        channel = owned_channels(running.registry, "gas-huarun")[0]
        topic = gas_topic(channel)
        before_mb = _rss_mb(pid)
        for attempt in range(5):  # before: read whole, dead-lettered, PUBACKed
            assert await _publish_raw(running, f"big-{attempt}", topic, OVERSIZED) == b""
        growth_mb = _rss_mb(pid) - before_mb
        print(f"RSS {before_mb:.0f} MB -> +{growth_mb:.0f} MB after 5 x 3 MiB")
        assert growth_mb < 100
        async with utility_client(running, "gas-huarun", name="normal") as normal:
            await normal.publish(topic, reading(now_ms(), lel_pct=2), qos=1, timeout=20)
        assert _sample(await _metrics(running), "lifeline_broker_oversized_total") == 5


@pytest.mark.slow
async def test_connect_flood_is_throttled_while_a_utility_publishes(tmp_path: Path) -> None:
    with utility_stack(tmp_path / "data") as running:
        channel = owned_channels(running.registry, "gas-huarun")[0]
        ids = itertools.count()

        async def flood(connects: int) -> list[int | None]:
            """Wrong-password CONNECTs, ten at a time; their CONNACK codes."""
            codes: list[int | None] = []
            for _ in range(connects // 10):
                codes += await asyncio.gather(
                    *(
                        _bad_connect(running.port, f"flood-{next(ids)}", "gas-huarun")
                        for _ in range(10)
                    )
                )
            return codes

        round_trips_ms: list[float] = []
        async with utility_client(running, "gas-huarun", name="legit") as legit:
            flooding = asyncio.create_task(flood(200))
            while not flooding.done() or len(round_trips_ms) < 50:
                started = time.perf_counter()
                await legit.publish(
                    gas_topic(channel), reading(now_ms(), lel_pct=1), qos=1, timeout=30
                )
                round_trips_ms.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
            codes = await flooding
        print(
            f"PUBACK round trip during the flood: {len(round_trips_ms)} publishes, median "
            f"{statistics.median(round_trips_ms):.1f} ms, max {max(round_trips_ms):.1f} ms"
        )
        assert 0 not in codes  # no wrong password got in
        throttled = _sample(
            await _metrics(running), 'lifeline_broker_connect_refused_total{reason="throttled"}'
        )
        assert throttled > 0, "once the address is throttled, CONNECTs are refused unhashed"
        # the address is throttled now, but credentials verified before still get in,
        # and a refused CONNECT with a connected client's id does not take its session over
        async with utility_client(running, "gas-huarun", name="legit-again") as again:
            await again.subscribe("lifeline/v1/rejects/gas-huarun", qos=1)
            assert await _bad_connect(running.port, "legit-again", "gas-huarun") == 5
            await again.publish(gas_topic(channel), reading(now_ms(), lel_pct=250), qos=1)
            async with asyncio.timeout(15):  # before: its subscription was deleted
                reject = await anext(aiter(again.messages))
            assert reject.topic.value == "lifeline/v1/rejects/gas-huarun"
