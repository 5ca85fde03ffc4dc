"""save_until_stored: data-path transitions wait out a busy store, errors of meaning do not."""

from __future__ import annotations

import sqlite3

import pytest
from prometheus_client import CollectorRegistry

from alerts.durable import save_until_stored
from alerts.metrics import AlertMetrics
from lifeline.core.alert import Alert, AlertState, AuditEntry, Severity
from lifeline.core.errors import ConflictError
from lifeline.core.ids import SourceKind

ALERT = Alert(
    source_id="GAS-0001",
    source_kind=SourceKind.GAS_CHANNEL,
    rule="gas_leak",
    severity=Severity.CRITICAL,
    state=AlertState.ACTIVE_UNACKED,
    message="leak",
    raised_at_ms=1,
    updated_at_ms=1,
)


class FlakyStore:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    async def save(self, alert: Alert, entry: AuditEntry | None) -> Alert:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return alert


async def test_a_locked_store_is_retried_until_the_alert_is_saved() -> None:
    metrics = AlertMetrics(CollectorRegistry())
    locked = sqlite3.OperationalError("database is locked")
    store = FlakyStore([locked, locked, locked])
    saved = await save_until_stored(store, ALERT, None, metrics)  # type: ignore[arg-type]
    assert saved == ALERT
    assert store.calls == 4
    assert metrics.store_retries._value.get() == 3


async def test_an_error_of_meaning_is_raised_at_once() -> None:
    store = FlakyStore([ConflictError("another open alert")])
    with pytest.raises(ConflictError):
        await save_until_stored(store, ALERT, None, AlertMetrics(CollectorRegistry()))  # type: ignore[arg-type]
    assert store.calls == 1
