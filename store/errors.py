"""Errors the stores raise on purpose (subclasses of :class:`LifelineError`).

LifelineError
├── ConflictError
│   └── AlertConflictError     a second open alert for one (source_id, rule)
├── UnavailableError
│   └── StoreUnavailableError  the store cannot be reached or is failing (5xx); retry
├── SpoolFullError             the durability spool is at its bound: do not ack, retry later
└── StoreRequestError          the store refused a request (4xx): a bug, do not retry
"""

from __future__ import annotations

from lifeline.core.errors import ConflictError, LifelineError, UnavailableError

__all__ = [
    "AlertConflictError",
    "SpoolFullError",
    "StoreRequestError",
    "StoreUnavailableError",
]


class AlertConflictError(ConflictError):
    """Saving would leave two open alerts for one ``(source_id, rule)``."""


class StoreUnavailableError(UnavailableError):
    """A remote store did not answer (connection refused, timeout) or answered with a
    server error (5xx, 429). Nothing is known to be written; writing again is safe."""


class StoreRequestError(LifelineError):
    """A remote store rejected a request as wrong (4xx, a query error): a bug or a
    misconfiguration (bad line protocol, unknown database, bad credentials), which
    sending it again will not fix. ``status`` is the HTTP status, ``body`` its text."""

    def __init__(self, message: str, status: int, body: str) -> None:
        super().__init__(f"{message}: HTTP {status}: {body}")
        self.status = status
        self.body = body


class SpoolFullError(LifelineError):
    """The durability spool is at its bound: the batch is neither stored nor spooled.
    The caller must not acknowledge it (the broker keeps it: back-pressure) and retries."""
