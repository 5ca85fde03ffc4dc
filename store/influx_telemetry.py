"""InfluxTelemetryStore: the production telemetry store on InfluxDB's 1.x HTTP API.

Same semantics as :class:`store.SqliteTelemetryStore` (the contract suite in
``tests/store/test_telemetry_contract.py`` runs against both). The schema lives in
:mod:`store.influx_schema`, line protocol in :mod:`store.influx_lineproto`, InfluxQL in
:mod:`store.influx_query`, HTTP and its errors in :mod:`store.influx_http`, and the
group commit of writes in :mod:`store.influx_batcher`.

- ``write`` returns after InfluxDB answered 204 to every request carrying the records
  (it fsyncs its WAL before answering). Point time = record ts in ms, so a redelivered
  record overwrites its own point.
- Queries name only the measurements that can hold the metric (``battery_v`` is in
  ``gas`` and ``meter``) and filter on the ``source_id`` tag; the TSI index finds the
  source's series, so the registry is not needed to read.
- Ids that break the contract's id pattern are never sent: they have no data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Final, TypeVar

import httpx

from lifeline.core.ids import is_valid_id
from lifeline.core.records import Bucket, DeviceEvent, Point, Record
from lifeline.core.registry import Registry
from store.influx_batcher import LineBatcher
from store.influx_http import InfluxHttp, Series
from store.influx_lineproto import encode_points, presence_lines
from store.influx_query import (
    count_statement,
    coverage_statement,
    events_statement,
    first_seen_statement,
    history_statement,
    last_seen_statement,
    latest_statement,
    metrics_statement,
    quote_ident,
)
from store.influx_schema import MEASUREMENTS_OF_METRIC, decode_detail
from store.presence import WrittenMarks

__all__ = ["InfluxTelemetryStore"]

T = TypeVar("T")

_IDS_PER_QUERY: Final = 100  # measured: 200 makes influxd 1.6 fall back to a slow match
_PARALLEL_QUERIES: Final = 8
_ENCODE_IN_THREAD: Final = 500  # records; fewer are encoded on the event loop


class InfluxTelemetryStore:
    """:class:`lifeline.core.ports.TelemetryStore` on an InfluxDB database.

    ``url`` is the HTTP(S) base URL (``http://influxdb:8086``), ``database`` the 1.x
    database (2.x: the database name of a DBRP mapping; 3.x Core: the database).
    Credentials: ``username``/``password`` (Basic auth) or ``token``. Writes are sent in
    requests of at most ``batch_size`` lines; ``flush_interval_s`` > 0 lets a partial
    request wait that long to fill (each write still awaits its own flush).
    ``registry`` (optional, replaceable via the attribute) supplies the district, owner
    and enterprise tags. ``client`` may be a shared httpx client (not closed here).
    """

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        batch_size: int = 5000,
        flush_interval_s: float = 0.0,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.registry = registry
        self._http = InfluxHttp(
            url,
            database,
            username=username,
            password=password,
            token=token,
            timeout_s=timeout_s,
            client=client,
        )
        self._batcher = LineBatcher(self._http.write, batch_size, flush_interval_s)
        self._marks = WrittenMarks()
        self._queries = asyncio.Semaphore(_PARALLEL_QUERIES)

    @property
    def url(self) -> str:
        return self._http.url

    @property
    def database(self) -> str:
        return self._http.database

    async def ensure_database(self) -> None:
        """``CREATE DATABASE`` (1.x; a no-op when it exists). 2.x needs a DBRP mapping
        made with its own tools; 3.x Core creates the database on the first write."""
        await self._http.query(f"CREATE DATABASE {quote_ident(self.database)}")

    async def ping(self) -> None:
        """Raise :class:`store.StoreUnavailableError` unless InfluxDB answers."""
        await self._http.ping()

    async def write(self, records: Sequence[Record]) -> None:
        """Data and event points of ``records``, and the presence points this process
        has not written yet (``store.presence.WrittenMarks``: each presence slot once,
        a ``seen`` point at most every minute per source)."""
        if not records:
            return
        if len(records) > _ENCODE_IN_THREAD:
            lines, presence = await asyncio.to_thread(encode_points, records, self.registry)
        else:
            lines, presence = encode_points(records, self.registry)
        newest, slots = self._marks.unwritten(presence)
        await self._batcher.write(lines + presence_lines(newest, slots))
        self._marks.written(newest, slots)

    async def history(
        self, source_id: str, metric: str, start_ms: int, end_ms: int, step_ms: int
    ) -> list[Bucket]:
        if step_ms <= 0:
            raise ValueError("step_ms must be positive")
        measurements = MEASUREMENTS_OF_METRIC.get(metric)
        if not measurements or not is_valid_id(source_id) or end_ms <= start_ms:
            return []
        statement = history_statement(source_id, metric, measurements, start_ms, end_ms, step_ms)
        buckets = [
            Bucket(
                ts_ms=_int(row[0]),
                mean=_float(row[1]),
                min=_float(row[2]),
                max=_float(row[3]),
                last=_float(row[4]),
                count=_int(row[5]),
            )
            for series in await self._query(statement)
            for row in series.values
        ]
        buckets.sort(key=lambda b: b.ts_ms)
        return buckets

    async def latest(self, source_ids: Sequence[str], metric: str) -> dict[str, Point]:
        measurements = MEASUREMENTS_OF_METRIC.get(metric)
        if not measurements:
            return {}
        out: dict[str, Point] = {}
        for series in await self._per_chunk(
            source_ids, lambda ids: latest_statement(ids, metric, measurements)
        ):
            source = series.tags.get("source_id", "")
            for row in series.values:
                point = Point(ts_ms=_int(row[0]), value=_float(row[1]))
                if source not in out or out[source].ts_ms < point.ts_ms:
                    out[source] = point
        return out

    async def metrics(self, source_id: str) -> list[str]:
        if not is_valid_id(source_id):
            return []
        found: set[str] = set()
        for series in await self._query(metrics_statement(source_id)):
            for row in series.values:
                found.update(
                    column.removeprefix("last_")
                    for column, value in zip(series.columns, row, strict=True)
                    if column != "time" and value is not None
                )
        return sorted(found)

    async def events(
        self, source_id: str, start_ms: int, end_ms: int, limit: int = 1000
    ) -> list[DeviceEvent]:
        if limit == 0 or not is_valid_id(source_id) or end_ms <= start_ms:
            return []
        cap = None if limit < 0 else limit  # as SQLite: a negative LIMIT means none
        out: list[DeviceEvent] = []
        for series in await self._query(events_statement(source_id, start_ms, end_ms, cap)):
            for row in series.values:
                ts = _int(row[0])
                out.extend(
                    DeviceEvent(ts_ms=ts, type=column, detail=decode_detail(str(value)))
                    for column, value in zip(series.columns[1:], row[1:], strict=True)
                    if value is not None
                )
        out.sort(key=lambda e: (-e.ts_ms, e.type))
        return out if cap is None else out[:cap]

    async def last_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for series in await self._per_chunk(source_ids, last_seen_statement):
            for row in series.values:
                source = series.tags.get("source_id", "")
                out[source] = max(out.get(source, -1), _int(row[0]))
        return out

    async def coverage(
        self, source_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> dict[str, int]:
        """Slots whose start lies in ``[start_ms, end_ms)`` with at least one record;
        every requested id is in the answer (0 when silent)."""
        out = dict.fromkeys(source_ids, 0)
        if end_ms <= start_ms:
            return out
        for series in await self._per_chunk(
            source_ids, lambda ids: coverage_statement(ids, start_ms, end_ms)
        ):
            for row in series.values:
                out[series.tags.get("source_id", "")] = _int(row[1])
        return out

    async def first_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for series in await self._per_chunk(source_ids, first_seen_statement):
            for row in series.values:
                source = series.tags.get("source_id", "")
                ts = _int(row[0])
                out[source] = min(out.get(source, ts), ts)
        return out

    async def count(self, source_id: str | None = None) -> int:
        if source_id is not None and not is_valid_id(source_id):
            return 0
        return sum(
            _int(value)
            for series in await self._query(count_statement(source_id))
            for row in series.values
            for value in row[1:]
            if value is not None
        )

    async def close(self) -> None:
        """Wait for queued writes, then close the HTTP client (idempotent)."""
        await self._batcher.drain()
        await self._http.close()

    async def _query(self, statement: str) -> list[Series]:
        async with self._queries:
            return await self._http.query(statement)

    async def _per_chunk(
        self, source_ids: Sequence[str], statement: Callable[[list[str]], str]
    ) -> list[Series]:
        """Run ``statement`` for each chunk of the valid, distinct ids, in parallel."""
        calls = [self._query(statement(chunk)) for chunk in _chunks(source_ids)]
        return [series for result in await _gather(calls) for series in result]


def _chunks(source_ids: Sequence[str]) -> Iterator[list[str]]:
    unique = [s for s in dict.fromkeys(source_ids) if is_valid_id(s)]
    for i in range(0, len(unique), _IDS_PER_QUERY):
        yield unique[i : i + _IDS_PER_QUERY]


async def _gather(calls: Sequence[Awaitable[T]]) -> list[T]:
    if len(calls) == 1:
        return [await calls[0]]
    return list(await asyncio.gather(*calls))


def _int(value: object) -> int:
    if isinstance(value, int | float):
        return int(value)
    raise TypeError(f"InfluxDB returned {value!r} where a number was expected")


def _float(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"InfluxDB returned {value!r} where a number was expected")
