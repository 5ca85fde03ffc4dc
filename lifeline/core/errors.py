"""Lifeline's error hierarchy.

LifelineError
├── ConfigError          settings or rules file invalid
├── RejectError          an inbound message or record breaks the contract (has a reason code)
├── NotFoundError        an id that the registry or a store does not know
└── TransitionError      an alert action not allowed from the alert's state
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
    "LifelineError",
    "NotFoundError",
    "RejectError",
    "TransitionError",
    "UnavailableError",
]


class LifelineError(Exception):
    """Base class of every error Lifeline raises on purpose."""


class ConfigError(LifelineError):
    """Settings or a rules file are invalid."""


class RejectError(LifelineError):
    """A message or record breaks the wire contract.

    ``reason`` is a machine code from :class:`lifeline.core.payloads.RejectReason`.
    """

    def __init__(self, reason: str, detail: str, index: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.index = index


class NotFoundError(LifelineError):
    """An id is not known."""


class TransitionError(LifelineError):
    """An alert action is not allowed in the alert's current state."""


class ConflictError(LifelineError):
    """A write would break a uniqueness rule (e.g. a second open alert per source+rule)."""


class UnavailableError(LifelineError):
    """A dependency (store, broker, rules worker) cannot answer now; try again later."""
