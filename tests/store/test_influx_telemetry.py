"""InfluxTelemetryStore against a real influxd: volume, gzip, outages, speed, schema.

The behaviour it shares with SQLite is in test_telemetry_contract.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from lifeline.core.payloads import GasReading
from lifeline.core.records import Record, numeric_fields
from lifeline.core.registry import Channel, Enterprise, Registry, Station, Utility
from lifeline.core.topics import RecordKind
from store import InfluxTelemetryStore, StoreRequestError, StoreUnavailableError
from store.influx_http import InfluxHttp
from store.influx_lineproto import encode_records
from tests.influx import InfluxServer, run_influxdb
from tests.services import free_port
from tests.store.factories import T0, gas, station


@pytest.fixture
async def store(influxdb: InfluxServer) -> AsyncIterator[InfluxTelemetryStore]:
    s = InfluxTelemetryStore(influxdb.url, influxdb.database)
    yield s
    await s.close()


def _scalar(server: InfluxServer, statement: str) -> int:
    """First value of the first row of one InfluxQL statement (0 when no rows)."""
    series = server.query(statement).json()["results"][0].get("series", [])
    return int(series[0]["values"][0][1]) if series else 0


def _full_gas(i: int) -> Record:
    ts = T0 + (i // 525) * 30_000
    body = GasReading(ts=ts, lel_pct=1.5, temp_c=21.0, humidity_pct=55.0, battery_v=3.6,
                      signal_dbm=-80.0)  # fmt: skip
    return Record(RecordKind.GAS_READING, f"GAS-{i % 525 + 1:04d}", ts, body)


async def test_twenty_thousand_records_are_stored_exactly_once(
    influxdb: InfluxServer, store: InfluxTelemetryStore
) -> None:
    records = [_full_gas(i) for i in range(20_000)]
    points = sum(len(numeric_fields(r)) for r in records)

    started = time.perf_counter()
    for i in range(0, len(records), 1000):
        await store.write(records[i : i + 1000])
    elapsed = time.perf_counter() - started
    for i in range(0, 5000, 1000):  # a redelivered stretch changes nothing
        await store.write(records[i : i + 1000])

    assert _scalar(influxdb, 'SELECT count("lel_pct") FROM "gas"') == 20_000
    assert await store.count() == points == 100_000
    assert await store.count("GAS-0001") == 5 * len(range(0, 20_000, 525))
    print(
        f"\ninflux telemetry write: {len(records) / elapsed:,.0f} records/s, "
        f"{points / elapsed:,.0f} points/s (batches of 1,000 records)"
    )


async def test_a_large_write_is_split_into_requests_of_batch_size(
    influxdb: InfluxServer,
) -> None:
    sizes: list[int] = []

    async def on_request(request: httpx.Request) -> None:
        if request.url.path == "/write":
            sizes.append(gzip.decompress(request.content).count(b"\n") + 1)

    records = [_full_gas(i) for i in range(5000)]
    async with httpx.AsyncClient(event_hooks={"request": [on_request]}) as client:
        store = InfluxTelemetryStore(
            influxdb.url, influxdb.database, batch_size=2000, client=client
        )
        await store.write(records)
        await store.close()
        assert not client.is_closed  # a shared client belongs to its owner

    assert sizes == [2000, 2000, 2000, len(encode_records(records)) - 6000]
    assert _scalar(influxdb, 'SELECT count("lel_pct") FROM "gas"') == 5000


async def test_writes_are_sent_gzip_compressed(influxdb: InfluxServer) -> None:
    bodies: list[tuple[str | None, bytes]] = []

    async def on_request(request: httpx.Request) -> None:
        if request.url.path == "/write":
            bodies.append((request.headers.get("content-encoding"), request.content))

    async with httpx.AsyncClient(event_hooks={"request": [on_request]}) as client:
        store = InfluxTelemetryStore(influxdb.url, influxdb.database, client=client)
        await store.write([gas("GAS-0001", T0, 3.0, temp_c=20.0)])
        assert await store.count() == 2  # the server read the compressed body
        await store.close()

    [(encoding, body)] = bodies
    assert encoding == "gzip"
    assert body[:2] == b"\x1f\x8b"
    text = gzip.decompress(body).decode()
    assert f"gas,source_id=GAS-0001 lel_pct=3.0,temp_c=20.0 {T0}" in text.splitlines()


async def test_concurrent_writes_share_requests_and_all_land(influxdb: InfluxServer) -> None:
    requests = 0

    async def on_request(request: httpx.Request) -> None:
        nonlocal requests
        requests += request.url.path == "/write"

    async with httpx.AsyncClient(event_hooks={"request": [on_request]}) as client:
        store = InfluxTelemetryStore(influxdb.url, influxdb.database, client=client)
        await asyncio.gather(*(store.write([gas(f"GAS-{n:04d}", T0, 1.0)]) for n in range(1, 51)))
        assert await store.count() == 50
        await store.close()

    assert requests < 50


@contextlib.contextmanager
def _silent_listener() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


async def test_unreachable_server_raises_store_unavailable_quickly() -> None:
    refused = InfluxTelemetryStore(f"http://127.0.0.1:{free_port()}", "lifeline")
    with _silent_listener() as port:
        silent = InfluxTelemetryStore(f"http://127.0.0.1:{port}", "lifeline", timeout_s=0.3)
        try:
            for s in (refused, silent):
                started = time.perf_counter()
                with pytest.raises(StoreUnavailableError, match="unreachable"):
                    await s.write([gas("GAS-0001", T0, 1.0)])
                with pytest.raises(StoreUnavailableError):
                    await s.latest(["GAS-0001"], "lel_pct")
                assert time.perf_counter() - started < 10.0  # fails fast, never hangs
        finally:
            await refused.close()
            await silent.close()


async def _answering(status: int, body: bytes) -> tuple[asyncio.Server, int]:
    """A real HTTP server that answers every request with ``status`` and ``body``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
             if line.startswith(b"content-length:")),
            0,
        )  # fmt: skip
        await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (status, len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_server_errors_raise_store_unavailable(status: int) -> None:
    server, port = await _answering(status, b'{"error":"engine: cache maximum memory size"}')
    store = InfluxTelemetryStore(f"http://127.0.0.1:{port}", "lifeline")
    try:
        with pytest.raises(StoreUnavailableError, match=str(status)):
            await store.write([gas("GAS-0001", T0, 1.0)])
    finally:
        await store.close()
        server.close()
        await server.wait_closed()


async def test_bad_line_protocol_raises_request_error_with_the_body(
    influxdb: InfluxServer,
) -> None:
    http = InfluxHttp(influxdb.url, influxdb.database)
    try:
        with pytest.raises(StoreRequestError, match="unable to parse") as caught:
            await http.write(["gas,source_id=GAS-0001 lel_pct= 12"])
    finally:
        await http.close()
    assert caught.value.status == 400
    assert "unable to parse" in caught.value.body


async def test_unknown_database_raises_request_error(influxdb: InfluxServer) -> None:
    store = InfluxTelemetryStore(influxdb.url, "no_such_db")
    try:
        with pytest.raises(StoreRequestError, match="database not found") as caught:
            await store.write([gas("GAS-0001", T0, 1.0)])
        assert caught.value.status == 404
        await store.ensure_database()
        await store.write([gas("GAS-0001", T0, 1.0)])
        assert await store.count() == 1
    finally:
        await store.close()


async def test_store_works_again_after_the_server_restarts(
    influxdb: InfluxServer, store: InfluxTelemetryStore
) -> None:
    await store.write([gas("GAS-0001", T0, 1.0)])
    influxdb.stop()

    with pytest.raises(StoreUnavailableError):
        await store.write([gas("GAS-0001", T0 + 1000, 2.0)])
    with pytest.raises(StoreUnavailableError):
        await store.ping()

    influxdb.start()
    await store.ping()
    await store.write([gas("GAS-0001", T0 + 1000, 2.0)])
    assert await store.count() == 2  # the point written before the outage survived
    assert (await store.latest(["GAS-0001"], "lel_pct"))["GAS-0001"].value == 2.0


async def test_history_of_a_day_at_30s_resolution_is_fast(store: InfluxTelemetryStore) -> None:
    day = 24 * 3600 * 1000
    step = day // 300
    start = T0 - T0 % step
    await store.write(
        [gas("GAS-0007", start + i * 30_000, (i % 40) / 2, 20.0) for i in range(2880)]
    )

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        buckets = await store.history("GAS-0007", "lel_pct", start, start + day, step)
        timings.append(time.perf_counter() - started)

    assert len(buckets) == 300
    assert sum(b.count for b in buckets) == 2880
    assert buckets[0].ts_ms == start
    assert buckets[-1].ts_ms == start + 299 * step
    print(f"\ninflux 24 h history of 2,880 points, 300 buckets: best {min(timings) * 1000:.1f} ms")
    assert min(timings) < 5.0  # the figure is printed and recorded in docs/benchmarks.md


def _registry() -> Registry:
    return Registry(
        utilities=[Utility("gas-huarun", "Huarun", "gas"), Utility("heat-001", "H1", "heating")],
        channels=[
            Channel("GAS-0001", "c", "West Coast, new=1", "kitchen", "a", 36.0, 120.0, "gas-huarun")
        ],
        enterprises=[Enterprise("HEAT-001", "e", "市南", "heat-001", 36.0, 120.0)],
        stations=[Station("HEAT-001-S01", "HEAT-001", "s", "市北", 36.0, 120.0, 1e4)],
        meters=[],
    )


async def test_registry_tags_are_written_for_district_queries(influxdb: InfluxServer) -> None:
    store = InfluxTelemetryStore(influxdb.url, influxdb.database, registry=_registry())
    try:
        await store.write([gas("GAS-0001", T0, 4.0), station("HEAT-001-S01", T0)])
        assert await store.latest(["GAS-0001"], "lel_pct") != {}
    finally:
        await store.close()

    by_district = (
        """SELECT count("lel_pct") FROM "gas" """
        """WHERE "district" = 'West Coast, new=1' AND "owner" = 'gas-huarun'"""
    )
    by_enterprise = (
        """SELECT count("indoor_temp_c") FROM "station" """
        """WHERE "district" = '市北' AND "enterprise_id" = 'HEAT-001'"""
    )
    assert _scalar(influxdb, by_district) == 1
    assert _scalar(influxdb, by_enterprise) == 1


async def test_basic_auth_reaches_a_server_with_authentication(tmp_path: Path) -> None:
    with run_influxdb(tmp_path / "influxdb", admin=("admin", "s3cret")) as server:
        server.query("CREATE USER \"lifeline\" WITH PASSWORD 'pw'")
        server.query('GRANT ALL ON "lifeline" TO "lifeline"')
        good = InfluxTelemetryStore(server.url, server.database, username="lifeline", password="pw")
        bad = InfluxTelemetryStore(server.url, server.database, username="lifeline", password="x")
        anonymous = InfluxTelemetryStore(server.url, server.database)
        try:
            await good.write([gas("GAS-0001", T0, 1.0)])
            assert await good.count() == 1
            for store in (bad, anonymous):
                with pytest.raises(StoreRequestError) as caught:
                    await store.write([gas("GAS-0001", T0, 1.0)])
                assert caught.value.status == 401
                with pytest.raises(StoreRequestError):
                    await store.count()
        finally:
            for store in (good, bad, anonymous):
                await store.close()
