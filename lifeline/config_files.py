"""Reading the YAML files an operator writes (rules, notifications): one way to say
what is wrong with them.

:func:`read_config` reads a file; :func:`decode_config` decodes YAML into a msgspec
type and checks its ``version``. Every fault is a :class:`ConfigError` that starts with
what the file is and where it is (``rules file /etc/lifeline/rules.yaml: ...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import msgspec
import msgspec.yaml

from lifeline.core.errors import ConfigError

__all__ = ["decode_config", "read_config"]

T = TypeVar("T")


def read_config(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read ({exc.strerror})") from exc


def decode_config(data: bytes | str, kind: type[T] | Any, what: str, source: str) -> T:
    """``data`` as ``kind`` (which has a ``version`` field; only 1 is known)."""
    try:
        parsed: T = msgspec.yaml.decode(data, type=kind)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{what} {source}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{what} {source}: not valid YAML ({exc})") from exc
    version = getattr(parsed, "version", 1)
    if version != 1:
        raise ConfigError(f"{what} {source}: unsupported version {version}")
    return parsed
