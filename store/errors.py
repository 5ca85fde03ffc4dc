"""Errors the stores raise on purpose (subclasses of :class:`LifelineError`)."""

from __future__ import annotations

from lifeline.errors import ConflictError, LifelineError

__all__ = ["AlertConflictError", "SpoolFullError"]


class AlertConflictError(ConflictError):
    """Saving would leave two open alerts for one ``(source_id, rule)``."""


class SpoolFullError(LifelineError):
    """The durability spool is at its bound: the batch is neither stored nor spooled
    (the caller must not acknowledge it; the broker keeps it: back-pressure)."""
