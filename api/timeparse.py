"""Query-string time values: instants (RFC 3339 or epoch ms), steps, local days.

Everything returns integer epoch milliseconds. Errors are ``ValueError`` with a message
fit for a 422 response.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "LOCAL_TZ",
    "MAX_BUCKETS",
    "MAX_INSTANT_MS",
    "MAX_STEP_MS",
    "MIN_INSTANT_MS",
    "NICE_STEPS_MS",
    "TARGET_BUCKETS",
    "auto_step",
    "local_midnight_ms",
    "parse_instant",
    "parse_step",
]

try:
    LOCAL_TZ: dt.tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database: China has no DST
    LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

TARGET_BUCKETS: Final = 500
MAX_BUCKETS: Final = 10_000

_S: Final = 1000
_M: Final = 60 * _S
_H: Final = 60 * _M
_D: Final = 24 * _H
NICE_STEPS_MS: Final = (
    1 * _S, 5 * _S, 10 * _S, 15 * _S, 30 * _S,
    1 * _M, 2 * _M, 5 * _M, 10 * _M, 15 * _M, 30 * _M,
    1 * _H, 2 * _H, 3 * _H, 6 * _H, 12 * _H,
    1 * _D, 2 * _D, 7 * _D,
)  # fmt: skip
_UNITS: Final = {"ms": 1, "s": _S, "m": _M, "h": _H, "d": _D}
_STEP = re.compile(r"^(\d{1,15})(ms|s|m|h|d)?$")
_DIGITS: Final = 15  # epoch ms of any accepted instant has at most 14 digits

MIN_INSTANT_MS: Final = 0  # 1970-01-01T00:00:00Z
MAX_INSTANT_MS: Final = 4_102_444_800_000  # 2100-01-01T00:00:00Z (exclusive)
MAX_STEP_MS: Final = 366 * _D


def parse_instant(text: str) -> int:
    """``2026-01-05T08:00:00+08:00`` / ``...Z`` or epoch milliseconds ``1767571200000``,
    between 1970-01-01 and 2100-01-01 UTC (anything else is refused, never overflows)."""
    text = text.strip()
    if text.isdigit():
        if len(text) > _DIGITS:
            raise ValueError(f"{text[:20]!r}... is out of range ({_RANGE})")
        return _bounded(int(text), text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:64]!r} is neither RFC 3339 nor epoch milliseconds") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (add Z or +08:00)")
    try:
        utc = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"{text!r} is out of range ({_RANGE})") from None
    return _bounded((utc - _EPOCH) // dt.timedelta(milliseconds=1), text)


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_RANGE: Final = "instants must lie in 1970-01-01T00:00:00Z .. 2100-01-01T00:00:00Z"


def _bounded(ms: int, text: str) -> int:
    if not MIN_INSTANT_MS <= ms < MAX_INSTANT_MS:
        raise ValueError(f"{text!r} is out of range ({_RANGE})")
    return ms


def parse_step(text: str) -> int:
    """A positive step up to 366 days: milliseconds (``60000``) or a duration (``30s``,
    ``5m``, ``1h``, ``1d``)."""
    match = _STEP.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"step {text[:32]!r} is not milliseconds or a duration like 5m (at most 366d)"
        )
    step = int(match.group(1)) * _UNITS[match.group(2) or "ms"]
    if step <= 0:
        raise ValueError("step must be positive")
    if step > MAX_STEP_MS:
        raise ValueError(f"step {text!r} is longer than 366 days")
    return step


def auto_step(span_ms: int, target: int = TARGET_BUCKETS) -> int:
    """The smallest nice step that covers ``span_ms`` in at most ``target`` buckets."""
    wanted = math.ceil(max(span_ms, 1) / target)
    for step in NICE_STEPS_MS:
        if step >= wanted:
            return step
    return math.ceil(wanted / _D) * _D


def local_midnight_ms(now_ms: int, tz: dt.tzinfo = LOCAL_TZ) -> int:
    """Epoch ms of the most recent local midnight at or before ``now_ms``."""
    local = dt.datetime.fromtimestamp(now_ms / 1000, tz=tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp() * 1000)
