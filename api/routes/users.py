"""``/api/v1/users`` and ``/api/v1/api-keys``: accounts and machine keys (admin only).

Every change is in the audit log. An API key is shown once, at creation; only its
SHA-256 is kept. Accounts are disabled, never deleted, so the audit log's names keep
meaning something.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from api.auth.audit import record
from api.auth.changes import before_after
from api.auth.guard import PrincipalDep
from api.auth.secrets import API_KEY_PREFIX, hash_password, new_token, token_hash
from api.deps import AuthStoreDep, Deps
from api.routes import API_PREFIX
from api.schemas.auth import (
    ApiKeyCreate,
    ApiKeyOut,
    CredentialOut,
    UserCreate,
    UserOut,
    UserPatch,
    check_scope,
)
from lifeline.core.errors import NotFoundError
from lifeline.core.identity import Credential, CredentialKind, User
from lifeline.core.ports import AuthStore

__all__ = ["router"]


def _audited(user: User) -> dict[str, object]:
    """What the audit log keeps of an account (never its password hash)."""
    return {
        "role": user.role.value,
        "crew_id": user.crew_id,
        "utility_id": user.utility_id,
        "active": user.active,
        "has_password": user.password_hash is not None,
    }


router = APIRouter(prefix=API_PREFIX, tags=["admin"])

Username = Annotated[str, Path(description="account name", max_length=64)]


async def _user(store: AuthStore, username: str) -> User:
    user = await store.get_user(username)
    if user is None:
        raise NotFoundError(f"account {username!r} does not exist")
    return user


@router.get("/users", summary="Accounts")
async def list_users(store: AuthStoreDep) -> list[UserOut]:
    return [UserOut.of(u) for u in await store.list_users()]


@router.post(
    "/users",
    status_code=201,
    summary="Create an account",
    responses={409: {"description": "the account exists"}},
)
async def create_user(
    body: UserCreate, request: Request, principal: PrincipalDep, deps: Deps, store: AuthStoreDep
) -> UserOut:
    if await store.get_user(body.username) is not None:
        raise HTTPException(409, detail=f"account {body.username!r} exists")
    hashed = (
        None if body.password is None else await asyncio.to_thread(hash_password, body.password)
    )
    user = User(
        body.username,
        body.role,
        deps.auth_options.now_ms(),
        password_hash=hashed,
        crew_id=body.crew_id,
        utility_id=body.utility_id,
    )
    await store.put_user(user)
    await record(
        request,
        principal.name,
        "user",
        "create",
        target=f"user/{user.username}",
        detail=before_after(None, _audited(user)),
    )
    return UserOut.of(user)


@router.patch("/users/{username}", summary="Change an account (role, password, active ...)")
async def update_user(
    username: Username,
    body: UserPatch,
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
    store: AuthStoreDep,
) -> UserOut:
    user = await _user(store, username)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    role = body.role or user.role
    crew_id = body.crew_id or user.crew_id
    utility_id = body.utility_id or user.utility_id
    try:
        check_scope(role, crew_id, utility_id)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    hashed = user.password_hash
    if body.password is not None:
        hashed = await asyncio.to_thread(hash_password, body.password)
    updated = User(
        user.username,
        role,
        user.created_at_ms,
        password_hash=hashed,
        crew_id=crew_id,
        utility_id=utility_id,
        active=user.active if body.active is None else body.active,
    )
    await store.put_user(updated)
    now = deps.auth_options.now_ms()
    if body.password is not None or not updated.active:
        for credential in await store.list_credentials(username):
            if credential.kind is CredentialKind.SESSION and credential.revoked_at_ms is None:
                await store.revoke_credential(credential.id, now)
    await record(
        request,
        principal.name,
        "user",
        "update",
        target=f"user/{username}",
        detail=before_after(
            _audited(user), _audited(updated), password_changed="password" in changes
        ),
    )
    return UserOut.of(updated)


@router.post("/users/{username}/api-keys", status_code=201, summary="Issue an API key (once)")
async def create_api_key(
    username: Username,
    body: ApiKeyCreate,
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
    store: AuthStoreDep,
) -> ApiKeyOut:
    user = await _user(store, username)
    key = new_token(API_KEY_PREFIX)
    credential = await store.add_credential(
        Credential(
            token_hash(key),
            CredentialKind.API_KEY,
            user.username,
            body.name,
            deps.auth_options.now_ms(),
        )
    )
    await record(
        request,
        principal.name,
        "api_key",
        "create",
        target=f"api_key/{credential.id}",
        detail=f"user={username} name={body.name}",
    )
    return ApiKeyOut(**CredentialOut.of(credential).model_dump(), key=key)


@router.get("/api-keys", summary="API keys (never the key itself)")
async def list_api_keys(store: AuthStoreDep) -> list[CredentialOut]:
    return [
        CredentialOut.of(c)
        for c in await store.list_credentials()
        if c.kind is CredentialKind.API_KEY
    ]


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
async def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
    store: AuthStoreDep,
) -> Response:
    keys = [c for c in await store.list_credentials() if c.id == key_id]
    if not keys or keys[0].kind is not CredentialKind.API_KEY:
        raise NotFoundError(f"API key {key_id} does not exist")
    await store.revoke_credential(key_id, deps.auth_options.now_ms())
    await record(request, principal.name, "api_key", "revoke", target=f"api_key/{key_id}")
    return Response(status_code=204)
