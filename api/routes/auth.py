"""``/api/v1/auth``: log in (user name + password → expiring bearer token), log out,
who am I.

A password is checked only after the auth store reserved one check for (client address,
user name) — atomically, across API processes — so at most ``login_failures_per_minute``
are checked per window and a stranger hammering a name locks out only himself. Every
checked login is in the audit log; refusals (429) are audited once per window, the rest
counted and summarised by the store."""

from __future__ import annotations

import asyncio
import math

from fastapi import APIRouter, HTTPException, Request, Response

from api.auth.audit import record
from api.auth.guard import PrincipalDep, client_ip
from api.auth.secrets import SESSION_PREFIX, new_token, token_hash, verify_password
from api.deps import AuthStoreDep, Deps
from api.routes import API_PREFIX
from api.schemas.auth import LoginBody, MeOut, TokenOut
from lifeline.core.identity import Credential, CredentialKind
from lifeline.core.timeutil import iso_ms

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


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
    client = client_ip(request) or ""
    gate = await store.reserve_login(client, body.username, now, deps.auth_options.login_policy)
    if not gate.allowed:
        if gate.first_refusal:
            await record(
                request, body.username, "login", "login", outcome="denied",
                detail="rate limited: logins refused until the window ends (counted, not"
                " audited one by one)",
            )  # fmt: skip
        retry = max(1, math.ceil(gate.retry_after_ms / 1000))
        raise HTTPException(
            429, detail="too many failed logins", headers={"Retry-After": str(retry)}
        )
    user = await store.get_user(body.username)
    hashed = user.password_hash if user is not None and user.active else None
    if not await asyncio.to_thread(verify_password, body.password, hashed):
        await record(request, body.username, "login", "login", outcome="failed")
        raise HTTPException(
            401, detail="wrong user name or password", headers={"WWW-Authenticate": "Bearer"}
        )
    assert user is not None
    await store.login_succeeded(client, body.username)
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
