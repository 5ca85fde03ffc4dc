"""Per-feed event clocks: the "now" a source's silence is measured against.

Pure: the wall clock is passed in. A *feed* is the records of one utility (the owner
of a device in the registry; a heating enterprise and its stations are one feed). Its
clock is the newest event time the feed has sent, moved on while the feed is silent by
the time that has passed since that record arrived, never past the wall clock::

    now(feed) = max(newest, min(wall, newest + max(wall elapsed, pace elapsed)))

- While a feed sends, its clock is its own progress: a utility replaying history 30
  minutes late is judged in its own (late) time, and one feed that is ahead, behind or
  replaying never moves another feed's clock.
- When a whole feed stops, its clock runs on with the wall clock, so its devices still
  go offline (a feed-relative clock alone would stand still with the feed).
- *Pace* is the typical progress of all feeds: at every :meth:`FeedClocks.pace` call it
  advances by the lower median of the event time each feed gained since the previous
  call, the wall time counted as one more feed. So a silent feed's clock also runs at
  the speed of a replay of the whole city (a simulated day in a minute behaves like a
  day), but never faster than the wall clock because of a single other feed: more than
  half of the feeds must be ahead of the wall clock for the median to be. Feeds that
  send less often than ``pace`` is called only make it slower, never faster.

Never-heard feeds have the wall clock. After a restart (a new :class:`FeedClocks` from
the saved ``newest``) every feed counts its silence from the restart: the downtime of
the platform is not the feeds' silence.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FeedClocks"]


@dataclass(frozen=True, slots=True)
class _Heard:
    wall_ms: int  # wall time when the feed's newest record arrived
    pace_ms: int  # pace at that moment


class FeedClocks:
    """The clocks of all feeds; ``newest`` (feed -> newest event time) is the caller's
    dict, kept up to date here and saved by the caller (the engine's snapshot)."""

    def __init__(self, newest: dict[str, int], wall_ms: int) -> None:
        self.newest = newest
        self._heard = {feed: _Heard(wall_ms, 0) for feed in newest}
        self._pace_ms = 0
        self._paced_wall_ms = wall_ms
        self._paced_newest = dict(newest)
        self._pending: set[str] = set()  # heard since the last pace: their pace starts then

    def heard(self, feed: str, ts_ms: int, wall_ms: int) -> None:
        """A record of ``feed`` at event time ``ts_ms`` arrived at ``wall_ms``."""
        if ts_ms > self.newest.get(feed, ts_ms - 1):
            self.newest[feed] = ts_ms
            self._heard[feed] = _Heard(wall_ms, self._pace_ms)
            self._pending.add(feed)

    def pace(self, wall_ms: int) -> None:
        """Advance the pace by the lower median of every feed's progress since the last
        call (feeds first heard since then do not count yet), wall time included.

        A feed heard since the last call counts its silence in pace from this call on,
        not from the previous one: the pace it missed is not credited to its silence."""
        gains = [max(0, wall_ms - self._paced_wall_ms)]
        for feed, before in self._paced_newest.items():
            gains.append(self.newest[feed] - before)
        gains.sort()
        self._pace_ms += gains[(len(gains) - 1) // 2]
        self._paced_wall_ms = wall_ms
        self._paced_newest = dict(self.newest)
        for feed in self._pending:
            self._heard[feed] = _Heard(self._heard[feed].wall_ms, self._pace_ms)
        self._pending.clear()

    def now_of(self, feed: str, wall_ms: int) -> int:
        """Event-time "now" of ``feed``; the wall clock for a feed never heard."""
        newest = self.newest.get(feed)
        heard = self._heard.get(feed)
        if newest is None or heard is None:
            return wall_ms
        silent_ms = max(wall_ms - heard.wall_ms, self._pace_ms - heard.pace_ms)
        return max(newest, min(wall_ms, newest + silent_ms))
