"""What every simulated source shares: the emission value, the Source Protocol, topics.

A source owns its own schedule: ``next_due_ms`` says when it next has something to
send and ``emit(now_ms)`` produces those messages and moves the schedule on. The
runner keeps all sources in one time-ordered heap.
"""

from __future__ import annotations

import math
import random
from typing import Final, Protocol

import msgspec

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "LOCAL_UTC_OFFSET_MS",
    "MINUTE_MS",
    "Emission",
    "Source",
    "diurnal",
    "encode",
    "local_hour",
    "source_rng",
]

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000
# The city runs on China Standard Time (UTC+8): meal peaks, diurnal cycles and the
# nightly meter upload window are in local time.
LOCAL_UTC_OFFSET_MS: Final = 8 * HOUR_MS

_encoder = msgspec.json.Encoder()


class Emission(msgspec.Struct, frozen=True):
    """One MQTT message to publish."""

    topic: str
    payload: bytes


class Source(Protocol):
    """A simulated device (or gateway) with its own schedule."""

    @property
    def source_id(self) -> str: ...

    def next_due_ms(self) -> int | None:
        """When the source next has something to send; ``None`` = never again."""
        ...

    def emit(self, now_ms: int) -> list[Emission]:
        """Messages due at ``now_ms`` (maybe none); advances the schedule past it."""
        ...


def encode(value: object) -> bytes:
    return _encoder.encode(value)


def source_rng(seed: int, source_id: str) -> random.Random:
    """An RNG per source, so each source is deterministic whatever else is simulated."""
    return random.Random(f"{seed}:{source_id}")


def local_hour(ts_ms: int) -> float:
    """Hour of the local day (0 <= h < 24) at ``ts_ms``."""
    return ((ts_ms + LOCAL_UTC_OFFSET_MS) % DAY_MS) / HOUR_MS


def diurnal(ts_ms: int, peak_hour: float) -> float:
    """A cosine over the local day: 1 at ``peak_hour``, -1 twelve hours later."""
    return math.cos(2 * math.pi * (local_hour(ts_ms) - peak_hour) / 24)
