"""The one reconnect and retry backoff: exponential, capped, with jitter.

Every loop that waits before trying again (MQTT sessions, publishers, store retries)
takes its delays from a :class:`Backoff`, so none can hammer a broker or a database in
lock-step with its peers after an outage: each delay is drawn from [50 %, 100 %] of
the doubling base.
"""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    """Delays of one retry sequence: doubling from ``initial_s`` up to ``max_s``."""

    def __init__(self, initial_s: float = 0.2, max_s: float = 5.0) -> None:
        if not 0 < initial_s <= max_s:
            raise ValueError("need 0 < initial_s <= max_s")
        self._initial = initial_s
        self._max = max_s
        self.attempt = 0

    def next_delay(self) -> float:
        """Delay before the next attempt, with jitter in [50 %, 100 %] of the base."""
        delay = self.delay(self.attempt)
        self.attempt += 1
        return delay

    def delay(self, attempt: int) -> float:
        """The delay after ``attempt`` failures (0 = the first), for retries whose count
        is kept elsewhere (a durable outbox)."""
        base = min(self._max, self._initial * 2.0 ** min(attempt, 32))
        return base * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        """The call succeeded: the next failure starts from ``initial_s`` again."""
        self.attempt = 0
