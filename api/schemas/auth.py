"""Login, accounts and API keys as the API shows and takes them (never a hash)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import OutModel
from lifeline.core.identity import Credential, CredentialKind, Role, User

__all__ = [
    "ApiKeyCreate",
    "ApiKeyOut",
    "CredentialOut",
    "LoginBody",
    "MeOut",
    "TokenOut",
    "UserCreate",
    "UserOut",
    "UserPatch",
    "check_scope",
]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    username: str
    role: Role
    crew_id: str | None
    utility_id: str | None
    credential: CredentialKind = Field(description="session (login) or api_key")


class TokenOut(BaseModel):
    access_token: str = Field(description="send as 'Authorization: Bearer <token>'")
    token_type: str = "bearer"
    expires_at: str
    expires_at_ms: int
    expires_in: int = Field(description="seconds")
    user: MeOut


class UserOut(OutModel):
    username: str
    role: Role
    crew_id: str | None
    utility_id: str | None
    active: bool
    has_password: bool
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.fill(user, has_password=user.password_hash is not None)


def check_scope(role: Role | None, crew_id: str | None, utility_id: str | None) -> None:
    if role is Role.CREW and not crew_id:
        raise ValueError("a crew account needs crew_id")
    if role is Role.UTILITY and not utility_id:
        raise ValueError("a utility account needs utility_id")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=_NAME)
    role: Role
    password: str | None = Field(
        default=None, min_length=12, max_length=256, description="none: API keys only"
    )
    crew_id: str | None = Field(default=None, pattern=_NAME)
    utility_id: str | None = Field(default=None, pattern=_NAME)

    @model_validator(mode="after")
    def _scoped(self) -> UserCreate:
        check_scope(self.role, self.crew_id, self.utility_id)
        return self


class UserPatch(BaseModel):
    """Fields to change; a new password or disabling revokes the account's sessions."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    password: str | None = Field(default=None, min_length=12, max_length=256)
    active: bool | None = None
    crew_id: str | None = Field(default=None, pattern=_NAME)
    utility_id: str | None = Field(default=None, pattern=_NAME)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME, description="what the key is for, e.g. scada-bridge")


class CredentialOut(OutModel):
    id: int
    kind: CredentialKind
    username: str
    name: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, credential: Credential) -> CredentialOut:
        return cls.fill(credential)


class ApiKeyOut(CredentialOut):
    key: str = Field(description="shown once; only its SHA-256 is stored")
