"""Event-time "now"s: the watermark for displays, and each feed's clock for silence.

Rules evaluate in event time, so "now" is not the wall clock. :class:`EventTimes`
keeps the two the platform needs:

- :meth:`now_ms` (a ``Clock``): for displays of no one source (time windows, KPIs):
  the watermark (the newest event time of any record), moved on by the wall time that
  has passed since it last advanced, never past the wall clock. While data flows this
  is the watermark (a replay of yesterday shows yesterday's picture); when all data
  stops it runs on with the wall clock.
- :meth:`now_of` (a ``FeedClock``): whether one source is silent is judged against its
  own feed (its owning utility's records, ``alerts.feed_clock``), never the watermark,
  so one feed replaying or ahead never makes another feed's devices look offline.

Both live in the engine's :class:`alerts.snapshot.RuleStates` (``watermark_ms``,
``feeds``), so they survive a restart with the rule states.
"""

from __future__ import annotations

from alerts.feed_clock import FeedClocks
from alerts.snapshot import RuleStates
from lifeline.core.ports import Clock
from lifeline.core.registry import Registry

__all__ = ["EventTimes"]


class EventTimes:
    def __init__(self, registry: Registry, wall: Clock) -> None:
        self._registry = registry
        self._wall = wall
        self._states = RuleStates()
        self._feeds = FeedClocks(self._states.feeds, wall.now_ms())
        self._watermark_wall_ms: int | None = None

    def restore(self, states: RuleStates, wall_ms: int) -> None:
        """Take the clocks of ``states`` (just loaded): silences count from ``wall_ms``."""
        self._states = states
        self._feeds = FeedClocks(states.feeds, wall_ms)

    @property
    def watermark_ms(self) -> int:
        """Newest event time seen in any record (of any feed)."""
        return self._states.watermark_ms

    def heard(self, source_id: str, ts_ms: int) -> None:
        """A record of ``source_id`` at ``ts_ms`` was evaluated."""
        wall = self._wall.now_ms()
        self._feeds.heard(self.feed_of(source_id), ts_ms, wall)
        if ts_ms > self._states.watermark_ms:
            self._states.watermark_ms = ts_ms
            self._watermark_wall_ms = wall

    def pace(self, wall_ms: int) -> None:
        """Move the silent feeds' clocks on (every engine tick)."""
        self._feeds.pace(wall_ms)

    def feed_of(self, source_id: str) -> str:
        """The feed a source's records come in: its owning utility ("" if unknown)."""
        return self._registry.owner_of(source_id) or ""

    def feed_now_ms(self, feed: str, wall_ms: int) -> int:
        return self._feeds.now_of(feed, wall_ms)

    def now_of(self, source_id: str) -> int:
        """Event-time "now" of the feed ``source_id`` belongs to: what its silence is
        measured against, by deadman rules and displays alike."""
        return self._feeds.now_of(self.feed_of(source_id), self._wall.now_ms())

    def now_ms(self) -> int:
        """Event-time "now" for displays that show no one source (see the module doc)."""
        wall = self._wall.now_ms()
        if self._watermark_wall_ms is None:
            return wall
        return min(wall, self._states.watermark_ms + (wall - self._watermark_wall_ms))
