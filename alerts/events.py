"""Device-event state machine: gas events and meter alarm flags of one source and rule.

Pure: ``update(state, types, ts_ms, spec, rule_name, source_id, value, detail)``.

- ``clear_on``: a raise event latches the condition (severity of the latest raise
  event), a clear event releases it; other events have no opinion (``None``).
- ``clear_when_absent`` (meters): every reading is a full statement; the condition is
  latched exactly while a raise flag is present.
- ``momentary``: a raise event is a pulse (``Evaluation.momentary``), never latched.
  A pulse is a pulse whenever it arrives (a late tamper is still a tamper); one at an
  instant already pulsed (``pulses_ms``, the last :data:`PULSES_KEPT`) is a redelivery.
- A *late* record (not newer than the newest one seen, contract v1.1) may only make
  things worse: a raise event or flag latches the condition, or raises its severity;
  a late clearing event or a late reading without the flag has no opinion (``None``).
  An equal timestamp is late too, so of a raise and a clear at the same instant the
  raise wins, and a redelivery changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from alerts.evaluation import Evaluation
from alerts.rules import EventSpec
from lifeline.core.alert import SEVERITY_RANK, Severity

__all__ = ["PULSES_KEPT", "EventState", "current", "update"]

PULSES_KEPT = 8


class EventState(msgspec.Struct, frozen=True):
    last_ts_ms: int
    latched: bool = False
    severity: Severity | None = None
    event: str | None = None
    detail: str | None = None
    value: float | None = None
    pulses_ms: tuple[int, ...] = ()  # momentary: the instants of the last pulses


def update(
    state: EventState | None,
    types: Sequence[str],
    ts_ms: int,
    spec: EventSpec,
    rule_name: str,
    source_id: str,
    value: float | None = None,
    detail: str | None = None,
) -> tuple[EventState | None, Evaluation | None]:
    raising: list[tuple[str, Severity]] = []
    for kind in types:
        level = spec.severity_of(kind)
        if level is not None:
            raising.append((kind, level))
    event: str | None = None
    severity: Severity | None = None
    if raising:
        event, severity = max(raising, key=lambda pair: SEVERITY_RANK[pair[1]])
    if spec.momentary:
        if event is None or (
            state is not None and (ts_ms == state.last_ts_ms or ts_ms in state.pulses_ms)
        ):
            return state, None
        pulses = (*(state.pulses_ms if state is not None else ()), ts_ms)[-PULSES_KEPT:]
        newest = ts_ms if state is None else max(ts_ms, state.last_ts_ms)
        pulse = EventState(newest, False, severity, event, detail, value, pulses)
        evaluation = _evaluation(pulse, spec, rule_name, source_id)
        return pulse, msgspec.structs.replace(evaluation, active=False, momentary=True)
    if state is not None and ts_ms <= state.last_ts_ms:
        if severity is None or (
            state.latched
            and state.severity is not None
            and SEVERITY_RANK[state.severity] >= SEVERITY_RANK[severity]
        ):  # a late clear, a late reading without the flag, or nothing worse
            return state, None
        worse = EventState(state.last_ts_ms, True, severity, event, detail, value)
        return worse, _evaluation(worse, spec, rule_name, source_id)
    if spec.clear_when_absent:
        if event is None and state is None:
            return None, Evaluation(active=False)
        new = EventState(ts_ms, event is not None, severity, event, detail, value)
        return new, _evaluation(new, spec, rule_name, source_id)
    if event is not None:
        new = EventState(ts_ms, True, severity, event, detail, value)
    elif any(t in spec.clear_on for t in types):
        new = EventState(ts_ms, False, value=value)
    else:
        return state, None
    return new, _evaluation(new, spec, rule_name, source_id)


def current(
    state: EventState | None, spec: EventSpec, rule_name: str, source_id: str
) -> Evaluation | None:
    """The evaluation a state stands for now (a past pulse is not active)."""
    if state is None:
        return None
    if spec.momentary:
        return Evaluation(active=False)
    return _evaluation(state, spec, rule_name, source_id)


def _evaluation(state: EventState, spec: EventSpec, rule_name: str, source_id: str) -> Evaluation:
    if not state.latched and not spec.momentary:
        return Evaluation(active=False, value=state.value)
    assert state.severity is not None
    message = spec.message.format(
        source_id=source_id,
        rule=rule_name,
        event=state.event,
        severity=state.severity.value,
        detail=state.detail or "",
    )
    return Evaluation(active=True, severity=state.severity, value=state.value, message=message)
