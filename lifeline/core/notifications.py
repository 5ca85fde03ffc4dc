"""Notifications as stored: planned items in the outbox and each delivery attempt.

The notification centre (``alerts.notify``) tails the alert audit log (every transition
is a row there, written in the same transaction as the alert) and plans, for each row,
the items to send: :class:`Planned`. The outbox (``NotificationStore``) keeps them
durably with their due time; the centre claims due items, sends them and records an
:class:`Attempt` per delivery. Keys are idempotency keys: planning the same audit row
twice (after a crash) inserts nothing new, and receivers that can carry the key get it.
"""

from __future__ import annotations

import enum
from typing import Protocol

import msgspec

__all__ = ["Attempt", "History", "Item", "ItemState", "Planned"]


class ItemState(enum.StrEnum):
    PENDING = "pending"  # due at ``due_ms``
    SENDING = "sending"  # claimed by a centre (``claimed_by``)
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent error, or retries exhausted
    CANCELLED = "cancelled"  # no longer wanted (acknowledged, cleared, shelved ...)
    GROUPED = "grouped"  # held for its route's digest (a flood)
    DIGESTED = "digested"  # went out inside a digest


class Planned(msgspec.Struct, frozen=True):
    """An item to put in the outbox (``alert_id`` None: a digest, filled when sent)."""

    key: str
    kind: str  # alerts.notify.base.Kind
    receiver: str  # a receiver or a roster (resolved when sent)
    due_ms: int
    alert_id: int | None = None
    route: str = ""
    step: int = 0
    state: ItemState = ItemState.PENDING
    actor: str = ""  # who acknowledged (acknowledged notices)
    crew: str = ""  # dispatch


class Item(msgspec.Struct, frozen=True):
    """An outbox item as stored."""

    id: int
    key: str
    kind: str
    receiver: str
    due_ms: int
    state: ItemState
    created_ms: int
    alert_id: int | None = None
    route: str = ""
    step: int = 0
    actor: str = ""
    crew: str = ""
    attempts: int = 0
    done_ms: int | None = None
    result: str = ""
    alert_ids: tuple[int, ...] = ()  # a digest's alerts, once sent


class Attempt(msgspec.Struct, frozen=True):
    """One delivery to one receiver (a roster's item has one per person on duty)."""

    item_id: int
    at_ms: int
    receiver: str
    ok: bool
    result: str  # "200", a vendor's request id, or the error
    alert_id: int | None = None
    kind: str = ""
    retryable: bool = False


class History(Protocol):
    """What the outbox already holds, as planning reads it (in its transaction)."""

    def told(self, alert_id: int) -> list[str]:
        """Receivers (or rosters) told of the alert, in the order they were first told."""
        ...

    def firing_since(self, route: str, since_ms: int) -> int:
        """Firing notices (sent, pending or grouped) of ``route`` created since then."""
        ...
