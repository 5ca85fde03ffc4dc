"""Start-up of API authentication: refuse default or missing secrets outside
development mode, register the bootstrap admin token, create the dev accounts.

- ``LIFELINE_BOOTSTRAP_ADMIN_TOKEN`` (≥ 32 characters outside development mode) is
  registered at every start as the API key ``bootstrap`` of account ``bootstrap-admin``
  (role admin); an earlier bootstrap key with another value is revoked, and so is every
  bootstrap key when the variable is unset.
- Development mode (``--dev``, ``make run``): the accounts of :data:`DEV_ACCOUNTS`
  are created when missing, with their documented passwords, printed once.
- Outside development mode, start-up fails with :class:`ConfigError` when no admin can
  ever log in (no bootstrap token and no active admin with a password or an API key),
  or when a dev account still has its documented password.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from api.auth.secrets import hash_password, token_hash, verify_password
from lifeline.core.errors import ConfigError
from lifeline.core.identity import Credential, CredentialKind, Role, User
from lifeline.core.ports import AuthStore
from lifeline.core.timeutil import now_ms

__all__ = [
    "BOOTSTRAP_USER",
    "DEV_ACCOUNTS",
    "MIN_BOOTSTRAP_TOKEN",
    "DevAccount",
    "prepare_auth",
]

log = logging.getLogger(__name__)

BOOTSTRAP_USER: Final = "bootstrap-admin"
BOOTSTRAP_KEY_NAME: Final = "bootstrap"
MIN_BOOTSTRAP_TOKEN: Final = 32


@dataclass(frozen=True, slots=True)
class DevAccount:
    username: str
    password: str
    role: Role
    crew_id: str | None = None
    utility_id: str | None = None


DEV_ACCOUNTS: Final = (
    DevAccount("admin", "lifeline-dev-admin", Role.ADMIN),
    DevAccount("operator", "lifeline-dev-operator", Role.OPERATOR),
    DevAccount("crew01", "lifeline-dev-crew", Role.CREW, crew_id="crew-01"),
    DevAccount("huarun", "lifeline-dev-utility", Role.UTILITY, utility_id="gas-huarun"),
)


async def prepare_auth(
    store: AuthStore,
    *,
    dev_mode: bool,
    bootstrap_token: str | None,
    announce: Callable[[str], None] = print,
    clock: Callable[[], int] = now_ms,
) -> None:
    """Make ``store`` ready for the API, or raise ConfigError (see module docstring)."""
    if bootstrap_token is not None and not dev_mode and len(bootstrap_token) < MIN_BOOTSTRAP_TOKEN:
        raise ConfigError(
            f"LIFELINE_BOOTSTRAP_ADMIN_TOKEN must have at least {MIN_BOOTSTRAP_TOKEN} "
            "characters outside development mode (e.g. `openssl rand -base64 32`)"
        )
    await _register_bootstrap(store, bootstrap_token, clock())
    if dev_mode:
        created = await _ensure_dev_accounts(store, clock())
        if created:
            announce(
                "Lifeline development accounts (documented in docs/security.md, dev mode only):"
            )
            for account in created:
                announce(f"  {account.role.value:<9} {account.username:<10} {account.password}")
        return
    await _refuse_dev_passwords(store)
    if bootstrap_token is None and not await _admin_can_log_in(store, clock()):
        raise ConfigError(
            "no way to administer the API: set LIFELINE_BOOTSTRAP_ADMIN_TOKEN (≥ 32 "
            "characters) to create the first accounts, or run in development mode (--dev)"
        )


async def _register_bootstrap(store: AuthStore, token: str | None, at_ms: int) -> None:
    wanted = None if token is None else token_hash(token)
    held = [
        c
        for c in await store.list_credentials(BOOTSTRAP_USER)
        if c.name == BOOTSTRAP_KEY_NAME and c.revoked_at_ms is None
    ]
    for credential in held:
        if credential.token_hash != wanted:
            await store.revoke_credential(credential.id, at_ms)
    if wanted is None or any(c.token_hash == wanted for c in held):
        if wanted is not None:
            await store.put_user(User(BOOTSTRAP_USER, Role.ADMIN, at_ms))
        return
    await store.put_user(User(BOOTSTRAP_USER, Role.ADMIN, at_ms))
    existing = await store.get_credential(wanted)
    if existing is not None:  # the same token was used before and revoked: reuse refused
        raise ConfigError("LIFELINE_BOOTSTRAP_ADMIN_TOKEN was revoked before; choose a new one")
    await store.add_credential(
        Credential(wanted, CredentialKind.API_KEY, BOOTSTRAP_USER, BOOTSTRAP_KEY_NAME, at_ms)
    )
    log.info("api_bootstrap_token_registered", extra={"user": BOOTSTRAP_USER})


async def _ensure_dev_accounts(store: AuthStore, at_ms: int) -> list[DevAccount]:
    created = []
    for account in DEV_ACCOUNTS:
        if await store.get_user(account.username) is not None:
            continue
        hashed = await asyncio.to_thread(hash_password, account.password)
        await store.put_user(
            User(
                account.username,
                account.role,
                at_ms,
                password_hash=hashed,
                crew_id=account.crew_id,
                utility_id=account.utility_id,
            )
        )
        created.append(account)
    return created


async def _refuse_dev_passwords(store: AuthStore) -> None:
    for account in DEV_ACCOUNTS:
        user = await store.get_user(account.username)
        if user is None or not user.active or user.password_hash is None:
            continue
        if await asyncio.to_thread(verify_password, account.password, user.password_hash):
            raise ConfigError(
                f"account {account.username!r} still has its documented development "
                "password: change it (PATCH /api/v1/users/...) or disable it, or run with --dev"
            )


async def _admin_can_log_in(store: AuthStore, at_ms: int) -> bool:
    admins = {u.username: u for u in await store.list_users() if u.role is Role.ADMIN and u.active}
    if any(u.password_hash is not None for u in admins.values()):
        return True
    return any(c.valid_at(at_ms) and c.username in admins for c in await store.list_credentials())
