"""Embedded SQLite stores: telemetry (``telemetry.db``), alerts, dead letters and the
registry (``lifeline.db``). Each class takes a path and creates its own tables."""

from store.errors import AlertConflictError
from store.sqlite_alerts import SqliteAlertStore
from store.sqlite_deadletters import SqliteDeadLetterStore
from store.sqlite_registry import SqliteRegistryStore
from store.sqlite_telemetry import SqliteTelemetryStore

__all__ = [
    "AlertConflictError",
    "SqliteAlertStore",
    "SqliteDeadLetterStore",
    "SqliteRegistryStore",
    "SqliteTelemetryStore",
]
