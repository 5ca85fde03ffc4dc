"""Embedded SQLite stores: telemetry (``telemetry.db``), alerts, dead letters, the
registry, API accounts and the audit log, maintenance windows and rule documents saved
by administrators (``lifeline.db``). Each class takes a path and
creates its own tables.
:class:`InfluxTelemetryStore` is the production telemetry store (InfluxDB HTTP API)."""

from store.errors import AlertConflictError, StoreRequestError, StoreUnavailableError
from store.influx_telemetry import InfluxTelemetryStore
from store.sqlite_alerts import SqliteAlertStore
from store.sqlite_auth import SqliteAuthStore
from store.sqlite_deadletters import SqliteDeadLetterStore
from store.sqlite_maintenance import SqliteMaintenanceStore
from store.sqlite_notifications import SqliteNotificationStore
from store.sqlite_registry import SqliteRegistryStore
from store.sqlite_rulesets import SqliteRuleSetStore
from store.sqlite_telemetry import SqliteTelemetryStore

__all__ = [
    "AlertConflictError",
    "InfluxTelemetryStore",
    "SqliteAlertStore",
    "SqliteAuthStore",
    "SqliteDeadLetterStore",
    "SqliteMaintenanceStore",
    "SqliteNotificationStore",
    "SqliteRegistryStore",
    "SqliteRuleSetStore",
    "SqliteTelemetryStore",
    "StoreRequestError",
    "StoreUnavailableError",
]
