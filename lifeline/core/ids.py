"""Identifiers of contract v1 and the kinds of source they name."""

from __future__ import annotations

import enum
import re

__all__ = ["ID_PATTERN", "SourceKind", "is_valid_id"]

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def is_valid_id(value: str) -> bool:
    """Return True when ``value`` matches the contract's identifier pattern."""
    return ID_PATTERN.fullmatch(value) is not None


class SourceKind(enum.StrEnum):
    """What an alert or a series belongs to (contract: AlertEvent.source_kind)."""

    GAS_CHANNEL = "gas_channel"
    METER = "meter"
    STATION = "station"
    ENTERPRISE = "enterprise"
