"""Errors the stores raise on purpose (subclasses of :class:`LifelineError`)."""

from __future__ import annotations

from lifeline.errors import ConflictError

__all__ = ["AlertConflictError"]


class AlertConflictError(ConflictError):
    """Saving would leave two open alerts for one ``(source_id, rule)``."""
