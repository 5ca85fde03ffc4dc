"""Failed-login limits, per client IP and per user name, kept in this process's memory.

After ``limit`` failures within ``window_ms`` for either key, logins from that IP or for
that user name are refused (429, ``Retry-After``) until the oldest failure leaves the
window. Several API processes each count on their own (a proxy in front can add a
shared limit); a restart forgets the counts.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

__all__ = ["LoginLimiter"]

_MAX_KEYS: Final = 100_000


class LoginLimiter:
    def __init__(self, limit: int = 5, window_ms: int = 60_000) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._failures: dict[str, deque[int]] = {}

    def retry_after_s(self, keys: tuple[str, ...], now_ms: int) -> int | None:
        """Seconds until a login for ``keys`` is allowed again, or None if it is now."""
        waits = []
        for key in keys:
            times = self._recent(key, now_ms)
            if len(times) >= self.limit:
                waits.append(times[0] + self.window_ms - now_ms)
        return max(1, math.ceil(max(waits) / 1000)) if waits else None

    def failed(self, keys: tuple[str, ...], now_ms: int) -> None:
        if len(self._failures) > _MAX_KEYS:
            self._forget_old(now_ms)
        for key in keys:
            self._failures.setdefault(key, deque(maxlen=self.limit)).append(now_ms)

    def succeeded(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _recent(self, key: str, now_ms: int) -> deque[int]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now_ms - self.window_ms:
            times.popleft()
        return times

    def _forget_old(self, now_ms: int) -> None:
        for key in [
            k for k, t in self._failures.items() if not t or t[-1] <= now_ms - self.window_ms
        ]:
            del self._failures[key]
