"""The device-event machine: latched, cleared-when-absent and momentary events."""

from __future__ import annotations

import msgspec

from alerts.machines.events import EventSpec, EventState, current, update
from lifeline.core.alert import Severity

LEAK = EventSpec(
    raise_on={"alarm_low": Severity.MAJOR, "alarm_high": Severity.CRITICAL},
    clear_on=["alarm_cleared"],
    message="{source_id} {event} {detail}",
)
FLAG = EventSpec(raise_on=["micro_leak"], severity=Severity.MAJOR, clear_when_absent=True)
PULSE = EventSpec(raise_on=["tamper"], severity=Severity.MAJOR, momentary=True)


def test_raise_event_latches_until_its_clear_event() -> None:
    state, first = update(None, ["alarm_low"], 1, LEAK, "gas_leak", "GAS-0001", detail="x")
    assert first is not None
    assert first.active
    assert first.severity is Severity.MAJOR
    assert first.message == "GAS-0001 alarm_low x"
    state, other = update(state, ["heartbeat"], 2, LEAK, "gas_leak", "GAS-0001")
    assert other is None  # no opinion
    assert current(state, LEAK, "gas_leak", "GAS-0001") == first
    state, cleared = update(state, ["alarm_cleared"], 3, LEAK, "gas_leak", "GAS-0001")
    assert cleared is not None
    assert not cleared.active


def test_latched_severity_follows_the_latest_raise_event() -> None:
    state, _ = update(None, ["alarm_high"], 1, LEAK, "gas_leak", "G")
    state, evaluation = update(state, ["alarm_low"], 2, LEAK, "gas_leak", "G")
    assert evaluation is not None
    assert evaluation.severity is Severity.MAJOR


def test_meter_flag_is_active_while_present_and_cleared_by_a_reading_without_it() -> None:
    state, present = update(None, ["micro_leak", "low_battery"], 1, FLAG, "r", "M")
    state, again = update(state, ["micro_leak"], 2, FLAG, "r", "M")
    state, gone = update(state, [], 3, FLAG, "r", "M")
    assert present is not None
    assert present.active
    assert again is not None
    assert again.active
    assert gone is not None
    assert not gone.active


def test_meter_without_flags_and_no_history_keeps_no_state() -> None:
    state, evaluation = update(None, ["low_battery"], 1, FLAG, "r", "M")
    assert state is None
    assert evaluation is not None
    assert not evaluation.active


def test_momentary_event_is_a_pulse_and_never_latches() -> None:
    state, evaluation = update(None, ["tamper"], 1, PULSE, "gas_tamper", "G")
    assert evaluation is not None
    assert evaluation.momentary
    assert not evaluation.active
    assert evaluation.severity is Severity.MAJOR
    current_eval = current(state, PULSE, "gas_tamper", "G")
    assert current_eval is not None
    assert not current_eval.active


def test_late_alarm_event_raises_after_a_newer_clear() -> None:
    # contract v1.1: a device clock 290 s ahead sent the clear; the alarm is older
    state, _ = update(None, ["alarm_cleared"], 10, LEAK, "gas_leak", "G")
    late_state, evaluation = update(state, ["alarm_high"], 5, LEAK, "gas_leak", "G")
    assert evaluation is not None
    assert evaluation.active
    assert evaluation.severity is Severity.CRITICAL
    assert late_state is not None
    assert late_state.last_ts_ms == 10  # the newest record is still the clear
    assert late_state.latched
    # the next newer clear releases it; older ones never do
    held, none = update(late_state, ["alarm_cleared"], 7, LEAK, "gas_leak", "G")
    assert none is None
    assert held == late_state
    released, cleared = update(held, ["alarm_cleared"], 11, LEAK, "gas_leak", "G")
    assert cleared is not None
    assert not cleared.active
    assert released == EventState(11, latched=False)


def test_late_clear_event_never_clears() -> None:
    state, _ = update(None, ["alarm_high"], 10, LEAK, "gas_leak", "G")
    for ts in (5, 10):  # older, and at the same instant: the raise wins
        late, evaluation = update(state, ["alarm_cleared"], ts, LEAK, "gas_leak", "G")
        assert evaluation is None
        assert late == state


def test_late_event_escalates_but_never_deescalates() -> None:
    state, _ = update(None, ["alarm_low"], 10, LEAK, "gas_leak", "G")
    lower, nothing = update(state, ["alarm_low"], 4, LEAK, "gas_leak", "G")
    assert nothing is None  # no worse than what holds (also: a redelivery)
    assert lower == state
    worse, escalated = update(state, ["alarm_high"], 5, LEAK, "gas_leak", "G")
    assert escalated is not None
    assert escalated.severity is Severity.CRITICAL
    kept, none = update(worse, ["alarm_low"], 6, LEAK, "gas_leak", "G")
    assert none is None
    assert kept == worse


def test_late_meter_flag_raises_and_a_late_reading_without_it_never_clears() -> None:
    state, _ = update(None, ["micro_leak"], 10, FLAG, "r", "M")
    state, cleared = update(state, [], 20, FLAG, "r", "M")
    assert cleared is not None
    assert not cleared.active
    state, raised = update(state, ["micro_leak"], 15, FLAG, "r", "M")
    assert raised is not None
    assert raised.active
    state, none = update(state, [], 16, FLAG, "r", "M")
    assert none is None
    assert state is not None
    assert state.latched
    assert state.last_ts_ms == 20


def test_late_pulse_is_a_pulse_and_a_redelivered_one_is_not() -> None:
    state, _ = update(None, ["tamper"], 10, PULSE, "gas_tamper", "G")
    state, late = update(state, ["tamper"], 5, PULSE, "gas_tamper", "G")
    assert late is not None
    assert late.momentary
    assert state is not None
    assert state.last_ts_ms == 10
    for ts in (5, 10):
        again, none = update(state, ["tamper"], ts, PULSE, "gas_tamper", "G")
        assert none is None
        assert again == state


def test_state_of_an_older_snapshot_without_pulses_still_decodes() -> None:
    old = msgspec.msgpack.encode({"last_ts_ms": 3, "latched": True, "severity": "major"})
    state = msgspec.msgpack.decode(old, type=EventState)
    assert state == EventState(3, latched=True, severity=Severity.MAJOR)
