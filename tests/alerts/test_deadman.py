"""The deadman machine, arming of sources never heard from, station-under-enterprise inhibition."""

from __future__ import annotations

from alerts.machines.deadman import DeadmanRule, DeadmanState, check, inhibited, seen, unheard
from lifeline.core.alert import Severity
from lifeline.core.ids import SourceKind

MIN = 60_000
STATION = DeadmanRule(
    name="station_offline",
    kind=SourceKind.STATION,
    timeout_s=900,
    message="{source_id} silent {silence_s:.0f}/{timeout_s:.0f}",
)


def test_silence_beyond_the_timeout_raises_once() -> None:
    state, _ = seen(None, 0)
    state, before = check(state, 15 * MIN, STATION, "S")
    assert before is None
    state, after = check(state, 15 * MIN + 1, STATION, "S")
    assert after is not None
    assert after.active
    assert after.severity is Severity.MINOR
    assert after.message == "S silent 900/900"
    state, again = check(state, 60 * MIN, STATION, "S")
    assert again is None
    assert state.active


def test_a_newer_record_clears_and_an_older_one_is_ignored() -> None:
    state = DeadmanState(last_seen_ms=10 * MIN, active=True)
    same, ignored = seen(state, 5 * MIN)
    assert ignored is None
    assert same is state
    fresh, evaluation = seen(state, 30 * MIN)
    assert evaluation is not None
    assert not evaluation.active
    assert fresh == DeadmanState(30 * MIN)


def test_station_is_inhibited_while_its_whole_enterprise_is_silent() -> None:
    enterprise = DeadmanState(last_seen_ms=0)
    assert inhibited(enterprise, 16 * MIN, STATION)
    assert not inhibited(DeadmanState(last_seen_ms=10 * MIN), 16 * MIN, STATION)
    assert not inhibited(None, 16 * MIN, STATION)


def test_a_source_never_heard_from_raises_a_timeout_after_it_was_armed() -> None:
    armed = unheard(10 * MIN)
    assert check(armed, 25 * MIN, STATION, "S")[1] is None
    state, evaluation = check(armed, 25 * MIN + 1, STATION, "S")
    assert evaluation is not None
    assert evaluation.active
    assert (state.active, state.heard, state.last_seen_ms) == (True, False, 10 * MIN)


def test_the_first_record_of_an_unheard_source_counts_whatever_its_time() -> None:
    armed = DeadmanState(last_seen_ms=60 * MIN, active=True, heard=False)
    state, evaluation = seen(armed, 5 * MIN)  # a replay of history, before the arming
    assert evaluation is not None
    assert not evaluation.active
    assert state == DeadmanState(5 * MIN)
