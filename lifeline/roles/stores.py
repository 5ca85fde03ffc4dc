"""Open the stores a role needs, each once: :class:`Stores`; the telemetry store comes
from settings (``--store`` / ``LIFELINE_STORE``):

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

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lifeline.core.errors import ConfigError
from lifeline.core.ports import TelemetryStore
from lifeline.core.registry import Registry
from lifeline.roles.process import Closables
from lifeline.seed import generate_registry
from lifeline.settings import Settings
from store import (
    SqliteAlertStore,
    SqliteAuthStore,
    SqliteDeadLetterStore,
    SqliteMaintenanceStore,
    SqliteNotificationStore,
    SqliteRegistryStore,
    SqliteRuleSetStore,
    SqliteTelemetryStore,
)

__all__ = ["StoreUrl", "Stores", "load_or_seed_registry", "open_telemetry_store", "parse_store_url"]

log = logging.getLogger(__name__)

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


async def load_or_seed_registry(store: SqliteRegistryStore, settings: Settings) -> Registry:
    """The stored registry; seeded deterministically at first start."""
    registry = await store.load()
    if registry is None:
        registry = generate_registry(settings.registry_seed, settings.demo_meters)
        await store.save(registry)
        log.info(
            "registry_seeded",
            extra={
                "channels": len(registry.channels),
                "enterprises": len(registry.enterprises),
                "stations": len(registry.stations),
                "meters": len(registry.meters),
            },
        )
    return registry


class Stores:
    """The stores of one role process, each opened on first use and closed by
    ``closing`` (alerts, dead letters, registry, accounts, maintenance windows and saved
    rules share ``lifeline.db``).
    A role that writes telemetry gets an InfluxDB store behind the on-disk spool."""

    def __init__(self, settings: Settings, closing: Closables, *, writes_telemetry: bool) -> None:
        self._settings = settings
        self._closing = closing
        self._spool = writes_telemetry
        self._telemetry: TelemetryStore | None = None
        self._registry: Registry | None = None

    @functools.cached_property
    def alerts(self) -> SqliteAlertStore:
        return self._closing.keep(SqliteAlertStore(self._settings.db_path))

    @functools.cached_property
    def deadletters(self) -> SqliteDeadLetterStore:
        return self._closing.keep(SqliteDeadLetterStore(self._settings.db_path))

    @functools.cached_property
    def auth(self) -> SqliteAuthStore:
        return self._closing.keep(SqliteAuthStore(self._settings.db_path))

    @functools.cached_property
    def notifications(self) -> SqliteNotificationStore:
        return self._closing.keep(SqliteNotificationStore(self._settings.db_path))

    @functools.cached_property
    def registry_store(self) -> SqliteRegistryStore:
        return self._closing.keep(SqliteRegistryStore(self._settings.db_path))

    @functools.cached_property
    def maintenance(self) -> SqliteMaintenanceStore:
        return self._closing.keep(SqliteMaintenanceStore(self._settings.db_path))

    @functools.cached_property
    def rule_sets(self) -> SqliteRuleSetStore:
        return self._closing.keep(SqliteRuleSetStore(self._settings.db_path))

    async def registry(self) -> Registry:
        """The registry (loaded, or seeded at first start), the same object every call."""
        if self._registry is None:
            self._registry = await load_or_seed_registry(self.registry_store, self._settings)
        return self._registry

    async def telemetry(self) -> TelemetryStore:
        """The configured telemetry store."""
        if self._telemetry is None:
            registry = await self.registry()
            store = open_telemetry_store(self._settings, registry, spool=self._spool)
            self._telemetry = self._closing.keep(store)
        return self._telemetry
