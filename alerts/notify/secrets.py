"""Secrets in the notify file, kept out of the repository and of command lines.

A secret field takes one of three forms::

    password: "s3cret"                       # a literal (development only)
    password: {env: LIFELINE_SMTP_PASSWORD}  # an environment variable
    password: {file: /run/secrets/smtp}      # the first line of a file (Docker/K8s secrets)

Decode it with the :data:`Secret` type; :func:`reveal` returns the value and raises
:class:`ConfigError` naming the missing variable or file, so a receiver built at start
fails at start. :func:`masked` is what the API and logs may show: ``***`` plus at most
the last two characters of a literal, or where the value comes from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, TypeAlias

import msgspec

from lifeline.core.errors import ConfigError

__all__ = ["Secret", "SecretRef", "masked", "reveal"]

# Literals shorter than this show no characters at all when masked.
_SHOW_TAIL_FROM: Final = 8


class SecretRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``{env: NAME}`` or ``{file: PATH}``: where a secret is, not the secret."""

    env: str | None = None
    file: str | None = None

    def __post_init__(self) -> None:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret is a string, {env: NAME} or {file: PATH} (exactly one)")
        if self.env is not None and not self.env:
            raise ValueError("a secret's env name is empty")
        if self.file is not None and not self.file:
            raise ValueError("a secret's file path is empty")


Secret: TypeAlias = str | SecretRef
"""The msgspec type of a secret field."""


def reveal(secret: Secret, what: str = "secret") -> str:
    """The secret's value; ``what`` names the field in the error, e.g.
    ``"receiver 'sms': access_key_secret"``."""
    if isinstance(secret, str):
        if not secret:
            raise ConfigError(f"{what}: empty")
        return secret
    if secret.env is not None:
        value = os.environ.get(secret.env)
        if value is None:
            raise ConfigError(f"{what}: environment variable {secret.env} is not set")
        if not value:
            raise ConfigError(f"{what}: environment variable {secret.env} is empty")
        return value
    assert secret.file is not None  # __post_init__: exactly one of env, file
    path = Path(secret.file).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read file {path} ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what}: file {path} is not UTF-8 text") from exc
    value = lines[0].strip() if lines else ""
    if not value:
        raise ConfigError(f"{what}: file {path} has an empty first line")
    return value


def masked(secret: Secret | None) -> str | None:
    """What may be shown of a secret: never more than its last two characters."""
    if secret is None:
        return None
    if isinstance(secret, str):
        return "***" + secret[-2:] if len(secret) >= _SHOW_TAIL_FROM else "***"
    if secret.env is not None:
        return f"(env {secret.env})"
    return f"(file {secret.file})"
