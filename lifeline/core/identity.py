"""Who may use the API: roles, user accounts, credentials (session tokens and API keys)
and the general audit log. Pure values; the ``AuthStore`` port keeps them.

Secrets never appear here in clear: a user has an Argon2id ``password_hash`` (None for a
machine account that only has API keys); a credential is known by the SHA-256 hex of
its token.
"""

from __future__ import annotations

import enum

import msgspec

__all__ = [
    "AuditQuery",
    "AuditRecord",
    "Credential",
    "CredentialKind",
    "Role",
    "User",
]


class Role(enum.StrEnum):
    """What an account may do (see docs/security.md, "API")."""

    ADMIN = "admin"  # everything an operator may, plus accounts, registry edits, audit
    OPERATOR = "operator"  # all data, all alerts, every alert action
    CREW = "crew"  # only the incidents assigned to its crew: list, ack, close
    UTILITY = "utility"  # read-only, only its own devices, alerts and rejects


class User(msgspec.Struct, frozen=True):
    """An account. ``crew_id`` is set for crew accounts, ``utility_id`` for utilities."""

    username: str
    role: Role
    created_at_ms: int
    password_hash: str | None = None
    crew_id: str | None = None
    utility_id: str | None = None
    active: bool = True


class CredentialKind(enum.StrEnum):
    SESSION = "session"  # issued by a login, expires
    API_KEY = "api_key"  # issued by an administrator for a machine, until revoked


class Credential(msgspec.Struct, frozen=True):
    """A bearer token of ``username``, stored as the SHA-256 hex of the token."""

    token_hash: str
    kind: CredentialKind
    username: str
    name: str
    created_at_ms: int
    expires_at_ms: int | None = None
    revoked_at_ms: int | None = None
    id: int = 0

    def valid_at(self, at_ms: int) -> bool:
        return self.revoked_at_ms is None and (
            self.expires_at_ms is None or at_ms < self.expires_at_ms
        )


class AuditRecord(msgspec.Struct, frozen=True):
    """One append-only audit entry: who did what to which target, when, from where.

    ``kind`` groups entries (``login``, ``logout``, ``user``, ``api_key``, ``registry``,
    ``rule``, ``alert_action``); ``outcome`` is ``ok``, ``denied`` or ``failed``.
    """

    at_ms: int
    actor: str
    kind: str
    action: str
    outcome: str
    target: str | None = None
    client_ip: str | None = None
    detail: str | None = None
    id: int = 0


class LoginPolicy(msgspec.Struct, frozen=True):
    """Password checks allowed per (client address, user name): ``limit`` per window;
    a window that filled up makes the next one twice as long, up to ``max_window_ms``."""

    limit: int = 5
    window_ms: int = 60_000
    max_window_ms: int = 3_600_000


class LoginGate(msgspec.Struct, frozen=True):
    """The answer to "may this login's password be checked now?" (reserved if so).

    ``first_refusal``: the first refusal of this window (audit it; later ones are
    counted and summarised in one audit entry when the window ends)."""

    allowed: bool
    retry_after_ms: int = 0
    first_refusal: bool = False


class AuditQuery(msgspec.Struct, frozen=True):
    """Filters of the audit log; ``None`` means no filter. Newest first."""

    kind: str | None = None
    actor: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int = 100
