"""The device-event machine: latched, cleared-when-absent and momentary events."""

from __future__ import annotations

from alerts.events import EventState, current, update
from alerts.rules import EventSpec
from lifeline.alert import Severity

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


def test_late_event_is_ignored() -> None:
    state, _ = update(None, ["alarm_cleared"], 10, LEAK, "gas_leak", "G")
    late_state, evaluation = update(state, ["alarm_high"], 5, LEAK, "gas_leak", "G")
    assert evaluation is None
    assert late_state == EventState(10, latched=False)
