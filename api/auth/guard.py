"""The app-wide dependency that authenticates every request and applies the policy.

``Authorization: Bearer <token>`` on every route; the live stream alone also takes
``?access_token=`` (a browser's EventSource cannot send headers). 401 without a valid
token (with ``WWW-Authenticate: Bearer``), 403 when the account's role may not call the
route. Handlers that need the caller declare ``PrincipalDep``.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth.policy import PUBLIC, rule_for
from api.auth.principal import Principal
from api.auth.secrets import token_hash
from api.deps import get_deps

__all__ = ["PrincipalDep", "authenticate", "authorize", "client_ip", "require_principal"]

STREAM_PATH: Final = "/api/v1/alerts/stream"
_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}
_BEARER: Final = HTTPBearer(auto_error=False, description="a login token or an API key")


def client_ip(request: Request) -> str | None:
    """The peer address (behind a reverse proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client is not None else None


def _route_path(request: Request) -> str | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def _token(request: Request, path: str | None) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise HTTPException(
                401, detail="expected 'Authorization: Bearer <token>'", headers=_CHALLENGE
            )
        return value.strip()
    if path == STREAM_PATH:
        return request.query_params.get("access_token") or None
    return None


async def authenticate(request: Request) -> Principal | None:
    """The caller of ``request``, None without a token; 401 for a bad one."""
    token = _token(request, _route_path(request))
    if token is None:
        return None
    deps = get_deps(request)
    store = deps.auth
    if store is None:  # pragma: no cover - create_app refuses to build without one
        raise HTTPException(503, detail="authentication is not configured")
    credential = await store.get_credential(token_hash(token))
    if credential is None or not credential.valid_at(deps.auth_options.now_ms()):
        raise HTTPException(401, detail="invalid or expired token", headers=_CHALLENGE)
    user = await store.get_user(credential.username)
    if user is None or not user.active:
        raise HTTPException(401, detail="account disabled", headers=_CHALLENGE)
    return Principal(
        name=user.username,
        role=user.role,
        credential_id=credential.id,
        credential_kind=credential.kind,
        crew_id=user.crew_id,
        utility_id=user.utility_id,
    )


async def authorize(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> Principal | None:
    """Applied to every route: the caller, after checking the route's access rule.
    (``_bearer`` only declares the scheme in the OpenAPI document.)"""
    path = _route_path(request)
    rule = None if path is None else rule_for(request.method, path)
    if rule is None:
        raise HTTPException(403, detail="no access rule for this route")
    if rule == PUBLIC:
        return None
    principal = await authenticate(request)
    if principal is None:
        raise HTTPException(401, detail="authentication required", headers=_CHALLENGE)
    if principal.role not in rule:
        raise HTTPException(403, detail=f"role {principal.role.value!r} may not do this")
    return principal


async def require_principal(
    principal: Annotated[Principal | None, Depends(authorize)],
) -> Principal:
    if principal is None:  # a public route asked for its caller
        raise HTTPException(401, detail="authentication required", headers=_CHALLENGE)
    return principal


PrincipalDep = Annotated[Principal, Depends(require_principal)]
