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

from collections.abc import Iterator, Sequence
from typing import Final

import msgspec

from alerts.evaluation import Evaluation
from alerts.machines.base import MachineContext, RuleType, Seen, Step
from alerts.machines.common import EVENT_TYPES, RuleName, Template, check_template
from alerts.snapshot import RuleStates
from lifeline.core.alert import SEVERITY_RANK, AlertCategory, Severity
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import GasEvent, MeterReading

__all__ = [
    "EVENT_FIELDS",
    "PULSES_KEPT",
    "TYPE",
    "EventRule",
    "EventSpec",
    "EventState",
    "check_events",
    "current",
    "event_types",
    "update",
]

# Fields an event message template may use.
EVENT_FIELDS: Final = frozenset({"source_id", "rule", "event", "severity", "detail"})


class EventSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which device events raise and which clear a condition.

    ``raise_on`` is a list of event types (all at ``severity``) or a mapping
    event type -> severity. Exactly one way of clearing must be chosen:
    ``clear_on`` events, ``clear_when_absent`` (meters: the flag missing from a later
    reading clears it) or ``momentary`` (raised and condition-cleared at once).
    """

    raise_on: list[str] | dict[str, Severity]
    severity: Severity | None = None
    clear_on: list[str] = []
    clear_when_absent: bool = False
    momentary: bool = False
    message: Template = "{source_id}: {event}"

    def severity_of(self, event: str) -> Severity | None:
        """Severity an event raises at, or ``None`` if it does not raise."""
        if isinstance(self.raise_on, dict):
            return self.raise_on.get(event)
        return self.severity if event in self.raise_on else None

    @property
    def raise_types(self) -> frozenset[str]:
        return frozenset(self.raise_on)


class EventRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="event"):
    """Device events (gas event types, meter alarm flags) mapped to one alert."""

    name: RuleName
    kind: SourceKind
    events: EventSpec
    category: AlertCategory = AlertCategory.ALARM
    description: str = ""


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


def check_events(kind: SourceKind, spec: EventSpec) -> None:
    known = EVENT_TYPES.get(kind)
    if known is None:
        raise ValueError(f"kind {kind} has no device events")
    for event in (*spec.raise_types, *spec.clear_on):
        if event not in known:
            raise ValueError(f"unknown {kind} event {event!r} (known: {', '.join(sorted(known))})")
    if not spec.raise_on:
        raise ValueError("raise_on is empty")
    if isinstance(spec.raise_on, list) and spec.severity is None:
        raise ValueError("raise_on is a list, so severity is required")
    if spec.raise_types & set(spec.clear_on):
        raise ValueError("an event cannot both raise and clear")
    modes = [bool(spec.clear_on), spec.clear_when_absent, spec.momentary]
    if sum(modes) != 1:
        raise ValueError("choose exactly one of clear_on, clear_when_absent, momentary")
    if spec.clear_when_absent and kind is not SourceKind.METER:
        raise ValueError("clear_when_absent is for meter alarm flags only")
    check_template(spec.message, EVENT_FIELDS)


def event_types(seen: Seen) -> tuple[list[str], float | None, str | None] | None:
    """The device events a record carries (gas event type, meter alarm flags), with the
    event's own ``lel_pct`` and ``detail``; None for a record that carries none."""
    body = seen.record.body
    if isinstance(body, GasEvent):
        return [body.type.value], body.lel_pct, body.detail
    if isinstance(body, MeterReading):
        return [alarm.value for alarm in body.alarms], None, None
    return None


class EventMachine:
    """Every ``event`` rule: device events of a source kind -> one latched alert."""

    def __init__(self, rules: Sequence[EventRule], context: MachineContext) -> None:
        self._context = context
        self._is_open = context.is_open
        self._by_kind: dict[SourceKind, list[EventRule]] = {}
        for rule in rules:
            self._by_kind.setdefault(rule.kind, []).append(rule)

    @property
    def kinds(self) -> frozenset[SourceKind]:
        return frozenset(self._by_kind)

    def observe(self, seen: Seen, states: RuleStates) -> Iterator[Step]:
        rules = self._by_kind.get(seen.kind)
        if not rules:
            return
        carried = event_types(seen)
        if carried is None:
            return
        types, value, detail = carried
        source, ts = seen.source_id, seen.ts_ms
        tables = states.tables.get(TYPE.field, {})
        for rule in rules:
            held = tables.get(rule.name)
            state = None if held is None else held.get(source)
            if not types and state is None and not self._is_open(source, rule.name):
                continue  # a reading without flags and nothing held: nothing to say
            table = states.table(TYPE.field, rule.name)
            state, evaluation = update(
                state, types, ts, rule.events, rule.name, source, value, detail
            )
            if self._context.to_apply(source, rule.name, evaluation, states):
                yield Step(rule, source, seen.kind, evaluation, ts, table, state)
            elif state is not None:
                table[source] = state


def _check(rule: EventRule) -> None:
    check_events(rule.kind, rule.events)


TYPE: Final = RuleType(EventRule, "events", EventState, _check, EventMachine)
