"""The peers' contract check: field ranges and the ts window, as data.

The floor subscriber (:mod:`bench.peers.floor`) applies :func:`check_record` and the
Node-RED function node gets :data:`RANGES` rendered into its JavaScript
(:mod:`bench.peers.nodered_flow`), so both check the same thing: a record of a known
kind is written when ``ts`` (integer ms, or RFC 3339 with offset) lies within 35 days
back and 300 s ahead, its required field is there, and every known numeric field it has
is a finite number within the contract's physical range (the ranges of
``lifeline.core.payloads``). Unknown fields are ignored. This is the "range check" of
the issue, not Lifeline's whole validation (registry, ownership, events, dead letters).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Final

__all__ = ["FUTURE_MS", "PAST_MS", "RANGES", "REQUIRED", "check_record", "parse_ts"]

PAST_MS: Final = 35 * 86_400_000
FUTURE_MS: Final = 300_000

# topic kind (lifeline/v1/{kind}/...) -> field -> (min, max); measurement = kind
RANGES: Final[dict[str, dict[str, tuple[float, float]]]] = {
    "gas": {
        "lel_pct": (0.0, 100.0),
        "temp_c": (-50.0, 100.0),
        "humidity_pct": (0.0, 100.0),
        "battery_v": (0.0, 30.0),
        "signal_dbm": (-200.0, 0.0),
    },
    "meter": {
        "volume_m3": (0.0, 1e12),
        "flow_m3h": (0.0, 1000.0),
        "battery_v": (0.0, 30.0),
        "signal_dbm": (-200.0, 0.0),
    },
}
REQUIRED: Final = {"gas": "lel_pct", "meter": "volume_m3"}


def parse_ts(value: Any) -> int | None:
    """Milliseconds since the epoch, or None when ``value`` is no contract timestamp."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return None
        return int(parsed.timestamp() * 1000)
    return None


def check_record(kind: str, record: Any, now_ms: int) -> tuple[int, list[tuple[str, float]]] | None:
    """``(ts_ms, [(field, value), ...])`` of a valid record of ``kind``, else None."""
    ranges = RANGES.get(kind)
    if ranges is None or not isinstance(record, dict):
        return None
    ts = parse_ts(record.get("ts"))
    if ts is None or not now_ms - PAST_MS <= ts <= now_ms + FUTURE_MS:
        return None
    if record.get(REQUIRED[kind]) is None:
        return None
    fields: list[tuple[str, float]] = []
    for name, (low, high) in ranges.items():
        value = record.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        number = float(value)
        if not (math.isfinite(number) and low <= number <= high):
            return None
        fields.append((name, number))
    return ts, fields
