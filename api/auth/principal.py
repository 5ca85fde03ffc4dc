"""The authenticated caller of a request."""

from __future__ import annotations

from dataclasses import dataclass

from lifeline.core.identity import CredentialKind, Role

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An account acting through one credential (a login session or an API key)."""

    name: str
    role: Role
    credential_id: int
    credential_kind: CredentialKind
    crew_id: str | None = None
    utility_id: str | None = None

    @property
    def is_staff(self) -> bool:
        """Operators and administrators see and do everything on alerts and data."""
        return self.role in (Role.ADMIN, Role.OPERATOR)
