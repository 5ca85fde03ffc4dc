"""``/api/v1/auth``: log in (user name + password → expiring bearer token), log out,
who am I. Every login, failed or not, is in the audit log."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request, Response

from api.auth.audit import record
from api.auth.guard import PrincipalDep, client_ip
from api.auth.ratelimit import LoginLimiter
from api.auth.secrets import SESSION_PREFIX, new_token, token_hash, verify_password
from api.deps import AuthStoreDep, Deps
from api.routes import API_PREFIX
from api.schemas.auth import LoginBody, MeOut, TokenOut
from lifeline.identity import Credential, CredentialKind
from lifeline.timeutil import iso_ms

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


def _limiter(request: Request) -> LoginLimiter:
    limiter = request.app.state.login_limiter
    assert isinstance(limiter, LoginLimiter)
    return limiter


@router.post(
    "/login",
    summary="Log in: an expiring bearer token",
    responses={
        401: {"description": "wrong user name or password"},
        429: {"description": "too many failed logins; see Retry-After"},
    },
)
async def login(body: LoginBody, request: Request, deps: Deps, store: AuthStoreDep) -> TokenOut:
    now = deps.auth_options.now_ms()
    keys = (f"ip:{client_ip(request)}", f"user:{body.username}")
    limiter = _limiter(request)
    retry = limiter.retry_after_s(keys, now)
    if retry is not None:
        await record(
            request, body.username, "login", "login", outcome="denied", detail="rate limited"
        )
        raise HTTPException(
            429, detail="too many failed logins", headers={"Retry-After": str(retry)}
        )
    user = await store.get_user(body.username)
    hashed = user.password_hash if user is not None and user.active else None
    if not await asyncio.to_thread(verify_password, body.password, hashed):
        limiter.failed(keys, now)
        await record(request, body.username, "login", "login", outcome="failed")
        raise HTTPException(
            401, detail="wrong user name or password", headers={"WWW-Authenticate": "Bearer"}
        )
    assert user is not None
    limiter.succeeded((f"user:{body.username}",))
    token = new_token(SESSION_PREFIX)
    expires = now + deps.auth_options.session_ms
    credential = await store.add_credential(
        Credential(token_hash(token), CredentialKind.SESSION, user.username, "login", now, expires)
    )
    await record(request, user.username, "login", "login", target=f"session/{credential.id}")
    return TokenOut(
        access_token=token,
        expires_at=iso_ms(expires),
        expires_at_ms=expires,
        expires_in=deps.auth_options.session_ms // 1000,
        user=MeOut(
            username=user.username,
            role=user.role,
            crew_id=user.crew_id,
            utility_id=user.utility_id,
            credential=CredentialKind.SESSION,
        ),
    )


@router.post("/logout", status_code=204, summary="End this login session (API keys stay valid)")
async def logout(
    request: Request, principal: PrincipalDep, deps: Deps, store: AuthStoreDep
) -> Response:
    if principal.credential_kind is CredentialKind.SESSION:
        await store.revoke_credential(principal.credential_id, deps.auth_options.now_ms())
        await record(
            request, principal.name, "logout", "logout", target=f"session/{principal.credential_id}"
        )
    return Response(status_code=204)


@router.get("/me", summary="The authenticated account")
async def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        username=principal.name,
        role=principal.role,
        crew_id=principal.crew_id,
        utility_id=principal.utility_id,
        credential=principal.credential_kind,
    )
