"""Bearer tokens and password hashes.

Tokens are 256 random bits, URL-safe, with a prefix saying what they are (``lls_`` a
login session, ``llk_`` an API key); only their SHA-256 hex is stored. Passwords are
hashed with Argon2id (pwdlib, OWASP's minimum parameters: 19 MiB, 2 passes).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Final

from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = [
    "API_KEY_PREFIX",
    "SESSION_PREFIX",
    "hash_password",
    "new_token",
    "token_hash",
    "verify_password",
]

SESSION_PREFIX: Final = "lls_"
API_KEY_PREFIX: Final = "llk_"
_ARGON2: Final = Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    encoded: str = _ARGON2.hash(password)
    return encoded


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, encoded: str | None) -> bool:
    """True if ``encoded`` is the hash of ``password``. Without a hash (unknown user,
    machine account) a dummy hash is still verified, so both cost the same time."""
    if encoded is None:
        _ARGON2.verify(password, _dummy_hash())
        return False
    try:
        ok: bool = _ARGON2.verify(password, encoded)
    except Exception:  # a malformed stored hash is a failed login, not a 500
        return False
    return ok
