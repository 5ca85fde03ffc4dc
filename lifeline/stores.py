"""Open the stores a process needs, from settings (``--store`` / ``LIFELINE_STORE``).

- ``sqlite://`` (default): ``data_dir/telemetry.db``; ``sqlite:///abs/path.db`` elsewhere.
- ``influx://HOST:PORT/DB`` (``influxs://`` or ``LIFELINE_INFLUX_TLS`` for https):
  InfluxDB's 1.x-compatible HTTP API, credentials from ``LIFELINE_INFLUX_USERNAME`` /
  ``LIFELINE_INFLUX_PASSWORD`` (1.x) or ``LIFELINE_INFLUX_TOKEN`` (2.x/3.x).

Writers (ingest, ``lifeline up``) get the InfluxDB store behind an on-disk spool, so an
InfluxDB outage never blocks or loses records; readers (API) get it directly. Alerts,
dead letters and the registry stay in SQLite ``data_dir/lifeline.db`` (PostgreSQL is
the multi-host path, see docs/deployment.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lifeline.errors import ConfigError
from lifeline.ports import TelemetryStore
from lifeline.registry import Registry
from lifeline.settings import Settings
from store import SqliteTelemetryStore

__all__ = ["StoreUrl", "open_telemetry_store", "parse_store_url"]

# An InfluxDB request gives up before the spool does, so a write the spool abandoned is
# never still queued inside the store's batcher (no hidden second copy in memory).
_INFLUX_TIMEOUT_S = 5.0
_SPOOL_AFTER_S = 8.0


@dataclass(frozen=True)
class StoreUrl:
    kind: str  # "sqlite" | "influx"
    path: Path | None = None
    base_url: str | None = None
    database: str | None = None


def parse_store_url(url: str, data_dir: Path, *, tls: bool = False) -> StoreUrl:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path)) if parts.path not in ("", "/") else None
        return StoreUrl("sqlite", path=path or data_dir / "telemetry.db")
    if parts.scheme in ("influx", "influxs"):
        database = parts.path.strip("/")
        if not parts.hostname or not database or "/" in database:
            raise ConfigError(f"bad store URL {url!r}: expected influx://HOST:PORT/DATABASE")
        scheme = "https" if tls or parts.scheme == "influxs" else "http"
        return StoreUrl(
            "influx",
            base_url=f"{scheme}://{parts.hostname}:{parts.port or 8086}",
            database=database,
        )
    raise ConfigError(f"unknown store {url!r}: use sqlite:// or influx://HOST:PORT/DB")


def open_telemetry_store(
    settings: Settings, registry: Registry | None = None, *, spool: bool
) -> TelemetryStore:
    """The configured telemetry store; with ``spool`` an InfluxDB store writes through a
    bounded on-disk spool in ``data_dir/spool/<instance>``."""
    target = parse_store_url(settings.store, settings.data_dir, tls=settings.influx_tls)
    if target.kind == "sqlite":
        assert target.path is not None
        target.path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteTelemetryStore(target.path)
    from store.influx_telemetry import InfluxTelemetryStore
    from store.spool import SpoolingTelemetryStore

    assert target.base_url is not None
    assert target.database is not None
    influx = InfluxTelemetryStore(
        target.base_url,
        target.database,
        username=settings.influx_username,
        password=settings.influx_password.get_secret_value() if settings.influx_password else None,
        token=settings.influx_token.get_secret_value() if settings.influx_token else None,
        registry=registry,
        timeout_s=_INFLUX_TIMEOUT_S,
    )
    if not spool:
        return influx
    directory = settings.data_dir / "spool" / settings.instance
    directory.mkdir(parents=True, exist_ok=True)
    return SpoolingTelemetryStore(
        influx, directory, max_bytes=settings.spool_max_bytes, write_timeout_s=_SPOOL_AFTER_S
    )
