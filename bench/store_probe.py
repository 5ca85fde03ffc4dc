"""What the telemetry store holds: records per bench kind and their checksums.

Counts one field per kind, the one every record of that kind carries (gas ``lel_pct``,
station ``primary_supply_temp_c``, meter ``volume_m3``; heartbeat events), straight
from the store: SQLite ``telemetry.db`` (read-only connection beside the writer, WAL)
or InfluxDB via InfluxQL. A (series, ts) is stored once, so a count above the published
one cannot happen and a count below it is a loss; the sums catch a value stored wrong.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

import httpx

from bench.load import Kind, Tally

__all__ = ["StoreProbe"]

_FIELD: Final = {
    Kind.GAS: ("gas", "lel_pct"),
    Kind.STATION: ("station", "primary_supply_temp_c"),
    Kind.METER: ("meter", "volume_m3"),
}
_EVENT_TYPE: Final = "heartbeat"


@dataclass(frozen=True, slots=True)
class StoreProbe:
    """Reads counts from the store named by a ``--store`` URL."""

    url: str

    async def tally(self) -> Tally:
        return await asyncio.to_thread(self._tally)

    def _tally(self) -> Tally:
        parts = urlsplit(self.url)
        if parts.scheme == "sqlite":
            return _sqlite(Path(unquote(parts.path)))
        if parts.scheme in ("influx", "influxs"):
            scheme = "https" if parts.scheme == "influxs" else "http"
            base = f"{scheme}://{parts.hostname}:{parts.port or 8086}"
            return _influx(base, parts.path.strip("/"))
        raise ValueError(f"unknown store URL {self.url!r}")


def _sqlite(path: Path) -> Tally:
    tally = Tally()
    if not path.exists():
        return tally
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        for kind, (_, metric) in _FIELD.items():
            count, total = conn.execute(
                "SELECT count(*), total(value) FROM samples WHERE metric = ?", (metric,)
            ).fetchone()
            tally.records[kind.value] = int(count)
            tally.sums[kind.value] = float(total)
        (events,) = conn.execute(
            "SELECT count(*) FROM events WHERE type = ?", (_EVENT_TYPE,)
        ).fetchone()
        tally.records[Kind.EVENT.value] = int(events)
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
    finally:
        conn.close()
    return tally


def _influx(base: str, database: str) -> Tally:
    tally = Tally()
    statements = [f"SELECT count({f}), sum({f}) FROM {m}" for m, f in _FIELD.values()]
    statements.append(f"SELECT count({_EVENT_TYPE}) FROM event")
    response = httpx.post(
        f"{base}/query",
        params={"db": database, "epoch": "ms"},
        data={"q": "; ".join(statements)},
        timeout=120,
    )
    response.raise_for_status()
    results = response.json()["results"]
    kinds = [*_FIELD, Kind.EVENT]
    for kind, result in zip(kinds, results, strict=True):
        series = result.get("series")
        if not series:
            continue
        values = series[0]["values"][0]
        tally.records[kind.value] = int(values[1] or 0)
        if kind is not Kind.EVENT:
            tally.sums[kind.value] = float(values[2] or 0.0)
    return tally
