"""Ports: the interfaces between Lifeline's parts, as Protocols.

Adapters are named ``<Backend><Port>``: ``SqliteTelemetryStore``, ``InfluxTelemetryStore``,
``SqliteAlertStore``, ``MqttNotifier`` ... Every method that may touch a disk or the
network is async.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import msgspec

from lifeline.core.alert import Alert, AlertCommand, AlertQuery, AuditEntry
from lifeline.core.identity import (
    AuditQuery,
    AuditRecord,
    Credential,
    LoginGate,
    LoginPolicy,
    User,
)
from lifeline.core.maintenance import MaintenanceQuery, MaintenanceWindow
from lifeline.core.notifications import Attempt, Item
from lifeline.core.payloads import AlertEvent
from lifeline.core.records import Bucket, DeviceEvent, Point, Record
from lifeline.core.registry import Registry

__all__ = [
    "AlertActions",
    "AlertStore",
    "AuthStore",
    "Background",
    "Clock",
    "DeadLetter",
    "DeadLetterQuery",
    "DeadLetterStore",
    "FeedClock",
    "MaintenanceStore",
    "Notifier",
    "NotifyView",
    "RegistryStore",
    "RuleSetStore",
    "StoredRules",
    "TelemetryStore",
]


@runtime_checkable
class Background(Protocol):
    """An optional capability: an adapter with work of its own (a spool replaying, a
    batch flusher) exposes ``run``; the process runs it as a task until shutdown."""

    async def run(self) -> None: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class FeedClock(Protocol):
    def now_of(self, source_id: str) -> int:
        """Event-time "now" of the feed (owning utility) ``source_id`` belongs to: what
        its silence is measured against (``alerts.event_time.EventTimes.now_of``)."""
        ...


class TelemetryStore(Protocol):
    """Time series of numeric measurements, series = (source_id, metric), keyed by ts_ms.

    ``write`` returns only when the records are durable; writing the same series and
    ts again overwrites (idempotent redelivery).
    """

    async def write(self, records: Sequence[Record]) -> None: ...

    async def history(
        self, source_id: str, metric: str, start_ms: int, end_ms: int, step_ms: int
    ) -> list[Bucket]:
        """Buckets of ``step_ms`` over ``[start_ms, end_ms)``, empty buckets left out."""
        ...

    async def latest(self, source_ids: Sequence[str], metric: str) -> dict[str, Point]:
        """Newest point of ``metric`` for each of ``source_ids`` that has one."""
        ...

    async def metrics(self, source_id: str) -> list[str]:
        """Names of the metrics stored for a source."""
        ...

    async def events(
        self, source_id: str, start_ms: int, end_ms: int, limit: int = 1000
    ) -> list[DeviceEvent]:
        """Device events (gas events, meter alarms) of a source, newest first."""
        ...

    async def last_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        """Newest event time (ts_ms) of any record of each source that has one."""
        ...

    async def coverage(
        self, source_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> dict[str, int]:
        """Number of PRESENCE_SLOT_MS slots in ``[start_ms, end_ms)`` in which each source
        sent at least one record (for on-line rates)."""
        ...

    async def first_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        """Start of the oldest PRESENCE_SLOT_MS slot in which each source that has one
        sent a record: where its on-line rate starts counting (the registry keeps no
        registration time)."""
        ...

    async def count(self, source_id: str | None = None) -> int:
        """Number of stored (series, ts) points, of one source or of all."""
        ...

    async def close(self) -> None: ...


class AlertStore(Protocol):
    """Durable alerts and their append-only audit trail."""

    async def save(self, alert: Alert, entry: AuditEntry | None) -> Alert:
        """Insert (``alert.id == 0``, an id is assigned) or update an alert and append
        its audit entry (``entry.alert_id`` is filled in) in one transaction. ``entry``
        is None only for updates that are not transitions (repeat counts, values)."""
        ...

    async def get(self, alert_id: int) -> Alert | None: ...

    async def find_open(self, source_id: str, rule: str) -> Alert | None: ...

    async def open_alerts(self) -> list[Alert]: ...

    async def query(self, query: AlertQuery) -> tuple[list[Alert], int]:
        """Matching alerts, newest first, and the total before limit/offset."""
        ...

    async def audit(self, alert_id: int | None = None, limit: int = 1000) -> list[AuditEntry]: ...

    async def raised_between(self, start_ms: int, end_ms: int) -> list[Alert]:
        """Alerts raised in ``[start_ms, end_ms)`` (event time), oldest first (reports)."""
        ...

    async def audit_between(self, start_ms: int, end_ms: int) -> list[AuditEntry]:
        """Audit entries at ``[start_ms, end_ms)``, oldest first (reports)."""
        ...

    async def close(self) -> None: ...


class DeadLetter(msgspec.Struct, frozen=True):
    """A rejected message or record with its raw payload, kept for inspection."""

    received_at_ms: int
    topic: str
    utility_id: str | None
    reason: str
    detail: str
    index: int | None
    payload: bytes
    id: int = 0


class DeadLetterQuery(msgspec.Struct, frozen=True):
    reason: str | None = None
    utility_id: str | None = None
    limit: int = 100
    offset: int = 0


class DeadLetterStore(Protocol):
    async def add(self, letters: Sequence[DeadLetter]) -> None: ...

    async def query(self, query: DeadLetterQuery) -> tuple[list[DeadLetter], int]: ...

    async def counts_by_reason(self) -> dict[str, int]: ...

    async def close(self) -> None: ...


class RegistryStore(Protocol):
    async def load(self) -> Registry | None:
        """The stored registry, or ``None`` if none has been seeded yet."""
        ...

    async def save(self, registry: Registry) -> None: ...

    async def version(self) -> int:
        """Counts up with every ``save`` (0 = never saved): cheap to poll."""
        ...

    async def close(self) -> None: ...


class MaintenanceStore(Protocol):
    """Maintenance windows (``lifeline.core.maintenance``) and which rule engine has
    carried out which phase of which window."""

    async def add(self, window: MaintenanceWindow) -> MaintenanceWindow: ...

    async def update(self, window: MaintenanceWindow) -> None: ...

    async def get(self, window_id: int) -> MaintenanceWindow | None: ...

    async def query(self, query: MaintenanceQuery) -> tuple[list[MaintenanceWindow], int]: ...

    async def version(self) -> int:
        """Counts up with every change: cheap to poll."""
        ...

    async def progress(self, worker: str) -> set[tuple[int, str]]: ...

    async def mark(self, window_id: int, worker: str, phase: str, at_ms: int) -> None: ...

    async def close(self) -> None: ...


class StoredRules(msgspec.Struct, frozen=True):
    """A rules document saved by an administrator: the YAML of a whole rules file,
    based on the rules file whose content had ``base_sha256``."""

    version: int
    yaml: str
    base_sha256: str
    saved_by: str
    saved_at_ms: int
    note: str | None = None


class RuleSetStore(Protocol):
    """Rule documents saved from the administration page, newest wins (from the next
    start of the rule engine)."""

    async def latest(self) -> StoredRules | None: ...

    async def save(
        self, yaml: str, base_sha256: str, saved_by: str, saved_at_ms: int, note: str | None
    ) -> StoredRules: ...

    async def history(self, limit: int = 20) -> list[StoredRules]:
        """Newest first."""
        ...

    async def close(self) -> None: ...


class AuthStore(Protocol):
    """Accounts, bearer credentials (SHA-256 hashes only) and the append-only audit log."""

    async def get_user(self, username: str) -> User | None: ...

    async def list_users(self) -> list[User]: ...

    async def put_user(self, user: User) -> None:
        """Insert or replace the account ``user.username``."""
        ...

    async def add_credential(self, credential: Credential) -> Credential:
        """Store a new credential (an id is assigned); its hash must be new."""
        ...

    async def get_credential(self, token_hash: str) -> Credential | None: ...

    async def list_credentials(self, username: str | None = None) -> list[Credential]: ...

    async def revoke_credential(self, credential_id: int, at_ms: int) -> Credential | None:
        """Mark a credential revoked (idempotent); None if the id is unknown."""
        ...

    async def append_audit(self, record: AuditRecord) -> AuditRecord:
        """Append to the audit log; nothing can change or delete an entry afterwards."""
        ...

    async def reserve_login(
        self, client: str, username: str, now_ms: int, policy: LoginPolicy
    ) -> LoginGate:
        """Atomically (across processes) check and reserve one password check for
        (client, username); refusals are counted, not audited one by one."""
        ...

    async def login_succeeded(self, client: str, username: str) -> None:
        """Forget the throttle of (client, username) after a correct password."""
        ...

    async def audit(self, query: AuditQuery) -> list[AuditRecord]:
        """Matching entries, newest first."""
        ...

    async def close(self) -> None: ...


class AlertActions(Protocol):
    """What the API may do to alerts; implemented by the rule engine, which owns them."""

    async def act(self, alert_id: int, command: AlertCommand) -> Alert:
        """Apply an operator's command; raises NotFoundError or TransitionError."""
        ...


class Notifier(Protocol):
    """Receives every alert state change (MQTT publisher, API live stream, SMS ...)."""

    async def notify(self, event: AlertEvent) -> None: ...


class NotifyView(Protocol):
    """The notification centre as the API shows and drives it (``alerts.notify``)."""

    def describe_receivers(self) -> list[dict[str, object]]:
        """Every receiver's settings, secrets masked."""
        ...

    def describe_routes(self) -> dict[str, object]:
        """Routes, rosters and crews as configured."""
        ...

    def has_receiver(self, name: str) -> bool: ...

    async def test(self, name: str) -> Attempt:
        """Send a test message to one receiver now."""
        ...

    async def history(self, alert_id: int) -> tuple[list[Item], list[Attempt]]:
        """What was planned and attempted for one alert."""
        ...
