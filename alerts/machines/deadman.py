"""Deadman (offline) state machine and the station-under-enterprise inhibition.

Pure. ``seen`` records that a source sent something (clears the condition);
``check`` compares the silence with the rule's timeout at ``now_ms``; ``unheard`` arms
a source that has sent nothing yet.

"Now" is the clock of the source's own feed (``alerts.feed_clock``): its utility's
progress in event time, or the wall clock once that feed is silent. A source that never
sent anything is armed at the feed's "now" when the engine first finds it in the
registry (``unheard``), so it is reported offline once its no-data time has passed
since then; its first record, whatever its time, replaces that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Final

import msgspec
from msgspec import Meta

from alerts.evaluation import Evaluation
from alerts.event_time import EventTimes
from alerts.machines.base import MachineContext, RuleType, Seen, Step
from alerts.machines.common import RuleName, Template, check_template
from alerts.snapshot import RuleStates
from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.ids import SourceKind

__all__ = [
    "DEADMAN_FIELDS",
    "TYPE",
    "DeadmanRule",
    "DeadmanState",
    "check",
    "inhibited",
    "seen",
    "unheard",
]

# Fields a deadman message template may use.
DEADMAN_FIELDS: Final = frozenset({"source_id", "rule", "silence_s", "timeout_s"})


class DeadmanRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="deadman"):
    """No record from a source for ``timeout_s`` of its feed's event time (see
    ``alerts.feed_clock``). For ``enterprise``, a record of any of its stations counts.
    A source never heard from is armed when the engine first finds it in the registry."""

    name: RuleName
    kind: SourceKind
    timeout_s: Annotated[float, Meta(gt=0.0)]
    message: Template
    severity: Severity = Severity.MINOR
    category: AlertCategory = AlertCategory.OFFLINE
    description: str = ""

    @property
    def timeout_ms(self) -> int:
        return int(self.timeout_s * 1000)


class DeadmanState(msgspec.Struct, frozen=True):
    last_seen_ms: int
    """The newest record's time, or (``heard`` False) when the source was armed."""
    active: bool = False
    heard: bool = True


def unheard(armed_at_ms: int) -> DeadmanState:
    """A source that has sent nothing yet, silent since ``armed_at_ms``."""
    return DeadmanState(armed_at_ms, heard=False)


def seen(state: DeadmanState | None, ts_ms: int) -> tuple[DeadmanState, Evaluation | None]:
    """A record at ``ts_ms``: the source is alive. Records not newer than the last one
    are ignored; the first record of an unheard source counts whatever its time."""
    if state is not None and state.heard and ts_ms <= state.last_seen_ms:
        return state, None
    return DeadmanState(ts_ms), Evaluation(active=False)


def check(
    state: DeadmanState, now_ms: int, rule: DeadmanRule, source_id: str
) -> tuple[DeadmanState, Evaluation | None]:
    """Raise once when the silence exceeds the timeout; ``None`` when nothing changes."""
    silence_ms = now_ms - state.last_seen_ms
    if state.active or silence_ms <= rule.timeout_ms:
        return state, None
    message = rule.message.format(
        source_id=source_id,
        rule=rule.name,
        silence_s=silence_ms / 1000,
        timeout_s=rule.timeout_s,
    )
    evaluation = Evaluation(
        active=True,
        severity=rule.severity,
        value=silence_ms / 1000,
        threshold=rule.timeout_s,
        message=message,
    )
    return msgspec.structs.replace(state, active=True), evaluation


def inhibited(enterprise: DeadmanState | None, now_ms: int, station_rule: DeadmanRule) -> bool:
    """A station's deadman is held back while its whole enterprise has been silent for
    half the station timeout or more: the outage then belongs to the enterprise's own
    deadman, which raises one alert instead of one per station.

    Half, not all of it: stations report at staggered times, so the station that spoke
    first in the enterprise's last round times out up to one reporting period before the
    enterprise does. A live enterprise with several stations reporting every 1-5 min is
    never silent for half a station timeout (7.5 min by default)."""
    if enterprise is None:
        return False
    return now_ms - enterprise.last_seen_ms >= station_rule.timeout_ms // 2


class DeadmanMachine:
    """Every ``deadman`` rule: records say a source is alive, the clock says it is not.

    A station's record also counts for its enterprise. Silence is measured on the clock
    of the source's own feed (:class:`alerts.event_time.EventTimes`); a station of an
    enterprise that is itself silent is inhibited (:func:`inhibited`). Sources the
    registry lists but that never sent anything are armed at their feed's "now" when
    first found (at start, and on every tick: a registry reload adopts new ones)."""

    def __init__(self, rules: Sequence[DeadmanRule], context: MachineContext) -> None:
        self._context = context
        self._registry = context.registry
        self._times: EventTimes = context.times
        self._by_kind: dict[SourceKind, list[DeadmanRule]] = {}
        for rule in rules:
            self._by_kind.setdefault(rule.kind, []).append(rule)
        enterprise = self._by_kind.get(SourceKind.ENTERPRISE, [])
        # enterprises first, so a station of a silent enterprise is inhibited in one tick
        self._ordered = enterprise + [r for r in rules if r.kind is not SourceKind.ENTERPRISE]
        self._armed_for: tuple[object, ...] = ()

    @property
    def kinds(self) -> frozenset[SourceKind]:
        kinds = set(self._by_kind)
        if SourceKind.ENTERPRISE in kinds:
            kinds.add(SourceKind.STATION)  # a station's record counts for its enterprise
        return frozenset(kinds)

    def observe(self, seen_record: Seen, states: RuleStates) -> Iterator[Step]:
        source, ts = seen_record.source_id, seen_record.ts_ms
        targets: list[tuple[DeadmanRule, str, SourceKind]] = [
            (rule, source, seen_record.kind) for rule in self._by_kind.get(seen_record.kind, ())
        ]
        if seen_record.kind is SourceKind.STATION:
            record = seen_record.record
            enterprise = record.enterprise_id or self._registry.enterprise_of(source)
            if enterprise is not None:
                targets += [
                    (rule, enterprise, SourceKind.ENTERPRISE)
                    for rule in self._by_kind.get(SourceKind.ENTERPRISE, ())
                ]
        for rule, target, kind in targets:
            table = states.table(TYPE.field, rule.name)
            state, evaluation = seen(table.get(target), ts)
            if self._context.to_apply(target, rule.name, evaluation, states):
                yield Step(rule, target, kind, evaluation, ts, table, state)
            else:
                table[target] = state

    def restore(self, states: RuleStates) -> None:
        """A snapshot written before feed clocks existed has last-seen times but no
        feeds: each feed's newest is then its sources' newest last-seen (otherwise the
        feed would have the wall clock, and a downtime would read as their silence)."""
        feeds = states.feeds
        derived: dict[str, int] = {}
        for table in states.tables.get(TYPE.field, {}).values():
            for source, state in table.items():
                feed = self._times.feed_of(source)
                if state.heard and feed not in feeds:
                    derived[feed] = max(derived.get(feed, state.last_seen_ms), state.last_seen_ms)
        feeds.update(derived)

    def start(self, states: RuleStates, wall_ms: int) -> None:
        """Sources still never heard from count their silence from now (the platform's
        own downtime is not theirs; raised alerts stay), then arm new ones."""
        for table in states.tables.get(TYPE.field, {}).values():
            for source, state in table.items():
                if not state.heard and not state.active:
                    table[source] = unheard(self._now(source, wall_ms))
        self._armed_for = ()
        self._arm(states, wall_ms)

    def due(self, states: RuleStates, wall_ms: int) -> Iterator[Step]:
        """Each source's silence against its own feed's clock."""
        self._arm(states, wall_ms)
        feed_now: dict[str, int] = {}
        for rule in self._ordered:
            table = states.table(TYPE.field, rule.name)
            for source, state in list(table.items()):
                if state.active:
                    continue
                feed = self._times.feed_of(source)
                now = feed_now.get(feed)
                if now is None:
                    now = feed_now[feed] = self._times.feed_now_ms(feed, wall_ms)
                if rule.kind is SourceKind.STATION and self._inhibited(states, source, now, rule):
                    continue
                new, evaluation = check(state, now, rule, source)
                if evaluation is None:
                    continue
                at = state.last_seen_ms + rule.timeout_ms
                yield Step(rule, source, rule.kind, evaluation, at, table, new)

    def _now(self, source: str, wall_ms: int) -> int:
        return self._times.feed_now_ms(self._times.feed_of(source), wall_ms)

    def _arm(self, states: RuleStates, wall_ms: int) -> None:
        """Arm the rules of registry sources that never sent anything, at their feed's
        "now". Looked at again whenever the registry's tables are replaced."""
        registry = self._registry
        tables = (registry.channels, registry.meters, registry.stations, registry.enterprises)
        if len(tables) == len(self._armed_for) and all(
            a is b for a, b in zip(tables, self._armed_for, strict=True)
        ):
            return
        self._armed_for = tables
        owns = self._context.owns_source
        if owns is None and self._context.scaled_out:
            return  # scaled out without a source filter: first records arm
        ids_of_kind: dict[SourceKind, Iterable[str]] = {
            SourceKind.GAS_CHANNEL: registry.channels,
            SourceKind.METER: registry.meters,
            SourceKind.STATION: registry.stations,
            SourceKind.ENTERPRISE: registry.enterprises,
        }
        for kind, rules in self._by_kind.items():
            for rule in rules:
                table = states.table(TYPE.field, rule.name)
                for source in ids_of_kind[kind]:
                    if source not in table and (owns is None or owns(source)):
                        table[source] = unheard(self._now(source, wall_ms))

    def _inhibited(self, states: RuleStates, station: str, now: int, rule: DeadmanRule) -> bool:
        enterprise = self._registry.enterprise_of(station)
        if enterprise is None:
            return False
        for enterprise_rule in self._by_kind.get(SourceKind.ENTERPRISE, ()):
            state = states.table(TYPE.field, enterprise_rule.name).get(enterprise)
            if inhibited(state, now, rule):
                return True
        return False


def _check(rule: DeadmanRule) -> None:
    check_template(rule.message, DEADMAN_FIELDS)


TYPE: Final = RuleType(DeadmanRule, "deadman", DeadmanState, _check, DeadmanMachine)
