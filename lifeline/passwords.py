"""Password generation and the two broker hash formats ``lifeline accounts`` writes.

- Mosquitto 2.x password files: ``user:$7$<iterations>$<salt b64>$<hash b64>``, the hash
  being PBKDF2-HMAC-SHA512 (64 bytes) over a 12-byte salt, standard base64 with padding,
  exactly what ``mosquitto_passwd`` writes (it uses 101 iterations; the broker reads the
  count from the line, so we use more).
- amqtt 0.12 ``FileAuthPlugin`` files: ``user:<hash>``; the plugin verifies Argon2
  (pwdlib) or, deprecated and gone with Python 3.13, sha512-crypt ``$6$``. We write
  Argon2id with OWASP's minimum parameters (19 MiB, 2 passes), about 50 ms a hash.

Pure apart from the system's random source.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = [
    "MOSQUITTO_ITERATIONS",
    "amqtt_hash",
    "broker_hashes",
    "mosquitto_hash",
    "verify_amqtt_hash",
    "verify_mosquitto_hash",
]

MOSQUITTO_ITERATIONS: Final = 10_000
_SALT_BYTES: Final = 12
_ARGON2: Final = Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1)


def broker_hashes(password: str) -> tuple[str, str]:
    """Both hashes ``lifeline accounts`` stores for a password: (Mosquitto, amqtt)."""
    return mosquitto_hash(password), amqtt_hash(password)


def mosquitto_hash(
    password: str, *, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS
) -> str:
    """The Mosquitto 2.x ``$7$`` (PBKDF2-SHA512) hash of ``password``."""
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${_b64(salt)}${_b64(digest)}"


def verify_mosquitto_hash(password: str, encoded: str) -> bool:
    """True when ``encoded`` is a ``$7$`` hash of ``password``."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)


def amqtt_hash(password: str) -> str:
    """The Argon2id hash amqtt's ``FileAuthPlugin`` verifies."""
    encoded: str = _ARGON2.hash(password)
    return encoded


def verify_amqtt_hash(password: str, encoded: str) -> bool:
    ok: bool = _ARGON2.verify(password, encoded)
    return ok


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
