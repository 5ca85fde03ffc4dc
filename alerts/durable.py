"""Alert transitions from the data path are as durable as the records behind them.

A record's alarm has no later record to catch it (a detector's ``alarm_high`` event is
sent once), so the rule engine never drops a transition because the alert store is
busy or briefly unavailable: :func:`save_until_stored` retries with backoff until the
write succeeds. The engine holds its lock meanwhile, so ingestion waits (and, behind
it, the publishers' PUBACKs: back-pressure) instead of acknowledging an alarm that is
not an alert yet. Errors of meaning (``ConflictError``, ``NotFoundError``: a retry
cannot change them) are raised at once; operator actions do not come through here,
they fail fast and the API answers with the error.
"""

from __future__ import annotations

import asyncio
import logging

from alerts.metrics import AlertMetrics
from lifeline.backoff import Backoff
from lifeline.core.alert import Alert, AuditEntry
from lifeline.core.errors import LifelineError, UnavailableError
from lifeline.core.ports import AlertStore

__all__ = ["save_until_stored"]

log = logging.getLogger(__name__)

_INITIAL_S = 0.1
_MAX_S = 5.0


def _transient(error: Exception) -> bool:
    """Worth retrying: anything but our own errors of meaning."""
    return isinstance(error, UnavailableError) or not isinstance(error, LifelineError)


async def save_until_stored(
    store: AlertStore, alert: Alert, entry: AuditEntry | None, metrics: AlertMetrics
) -> Alert:
    """``store.save(alert, entry)``, retried until it succeeds (see module doc)."""
    backoff = Backoff(_INITIAL_S, _MAX_S)
    while True:
        try:
            saved = await store.save(alert, entry)
        except Exception as error:
            if not _transient(error):
                raise
            delay = backoff.next_delay()
            metrics.store_retries.inc()
            log.warning(
                "alert_store_retry",
                extra={
                    "source_id": alert.source_id,
                    "rule": alert.rule,
                    "attempt": backoff.attempt,
                    "retry_in_s": round(delay, 3),
                    "error": f"{type(error).__name__}: {error}",
                },
            )
            await asyncio.sleep(delay)
            continue
        if backoff.attempt:
            log.info("alert_store_recovered", extra={"attempts": backoff.attempt + 1})
        return saved
