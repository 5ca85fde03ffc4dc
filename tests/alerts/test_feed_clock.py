"""Per-feed event clocks (alerts.feed_clock): own progress, wall clock, pace of the city."""

from __future__ import annotations

from alerts.feed_clock import FeedClocks

MIN = 60_000
WALL = 1_763_000_000_000


def test_a_feed_never_heard_has_the_wall_clock() -> None:
    clocks = FeedClocks({}, WALL)
    assert clocks.now_of("gas-a", WALL + 5 * MIN) == WALL + 5 * MIN


def test_a_feed_that_sends_is_judged_by_its_own_progress_however_late() -> None:
    clocks = FeedClocks({}, WALL)
    clocks.heard("late", WALL - 30 * MIN, WALL)  # 30 minutes behind the wall clock
    clocks.heard("live", WALL, WALL)
    assert clocks.now_of("late", WALL) == WALL - 30 * MIN
    assert clocks.now_of("live", WALL) == WALL
    clocks.heard("late", WALL - 29 * MIN, WALL + 3_000)
    clocks.pace(WALL + 3_000)
    assert clocks.now_of("late", WALL + 3_000) == WALL - 29 * MIN
    assert clocks.newest == {"late": WALL - 29 * MIN, "live": WALL}


def test_a_silent_feed_runs_on_with_the_wall_clock_and_never_passes_it() -> None:
    clocks = FeedClocks({}, WALL)
    clocks.heard("late", WALL - 30 * MIN, WALL)
    assert clocks.now_of("late", WALL + 20 * MIN) == WALL - 10 * MIN
    clocks.heard("live", WALL + 2 * MIN, WALL)  # a device clock 2 min fast
    assert clocks.now_of("live", WALL + MIN) == WALL + 2 * MIN  # not before its newest
    assert clocks.now_of("live", WALL + 10 * MIN) == WALL + 10 * MIN  # capped at the wall


def test_older_records_do_not_move_a_feed_back() -> None:
    clocks = FeedClocks({}, WALL)
    clocks.heard("f", WALL, WALL)
    clocks.heard("f", WALL - MIN, WALL + MIN)
    assert clocks.newest["f"] == WALL
    assert clocks.now_of("f", WALL + MIN) == WALL + MIN  # silent since WALL, not since +1


def test_a_silent_feed_runs_at_the_pace_of_most_feeds_in_a_fast_replay() -> None:
    """Median of (wall 100 ms, a 0, b c d 60 s) is 60 s a round: a is silent 19 minutes."""
    start = WALL - 24 * 60 * MIN  # a day replayed, 100 ms of wall time per minute
    clocks = FeedClocks({}, WALL)
    for minute in range(30):
        for feed in ("a", "b", "c", "d") if minute <= 10 else ("b", "c", "d"):
            clocks.heard(feed, start + minute * MIN, WALL + minute * 100)
        clocks.pace(WALL + minute * 100)
    wall = WALL + 29 * 100
    half = FeedClocks({}, WALL)  # only two of (wall, a, b, c) ahead: not a majority
    for minute in range(30):
        for feed in ("a", "b", "c") if minute <= 10 else ("b", "c"):
            half.heard(feed, start + minute * MIN, WALL + minute * 100)
        half.pace(WALL + minute * 100)
    assert half.now_of("a", wall) == start + 10 * MIN + 29 * 100 - 10 * 100
    assert clocks.now_of("a", wall) == start + 29 * MIN  # a stopped at 10: 19 min silent
    assert clocks.now_of("b", wall) == start + 29 * MIN


def test_one_fast_feed_never_makes_a_live_feed_run_fast() -> None:
    clocks = FeedClocks({}, WALL)
    for second in range(60):
        wall = WALL + second * 1000
        clocks.heard("replay", WALL - 60 * MIN + second * 60_000, wall)  # 60x
        if second == 0:
            clocks.heard("live", WALL, wall)  # then quiet for a minute
        clocks.pace(wall)
    assert clocks.now_of("live", WALL + 59_000) == WALL + 59_000  # the wall clock


def test_the_pace_missed_before_a_feed_was_heard_is_not_its_silence() -> None:
    start = WALL - 24 * 60 * MIN  # a replay
    clocks = FeedClocks({"a": start, "b": start, "d": start}, WALL)
    for feed in ("a", "b", "c", "d"):
        clocks.heard(feed, start + 10 * MIN, WALL + 1)
    clocks.pace(WALL + 1)  # a, b and d gained 10 min in this round
    assert clocks.now_of("c", WALL + 1) == start + 10 * MIN  # c just spoke: not silent
    assert clocks.now_of("a", WALL + 1) == start + 10 * MIN
    for feed in ("a", "b", "d"):
        clocks.heard(feed, start + 20 * MIN, WALL + 2)
    clocks.pace(WALL + 2)
    assert clocks.now_of("c", WALL + 2) == start + 20 * MIN  # silent for that round


def test_after_a_restart_silence_counts_from_the_restart() -> None:
    saved = {"f": WALL}
    restarted = WALL + 60 * MIN  # the platform was down for an hour
    clocks = FeedClocks(saved, restarted)
    assert clocks.now_of("f", restarted) == WALL
    assert clocks.now_of("f", restarted + 5 * MIN) == WALL + 5 * MIN
    clocks.heard("f", restarted, restarted + 5 * MIN)
    assert saved == {"f": restarted}  # the caller's dict is the one kept up to date
