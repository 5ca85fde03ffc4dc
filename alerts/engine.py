"""AlertEngine: records -> rule state machines -> lifecycle -> AlertStore -> notifiers.

It is the ingester's sink (``accept``), the API's :class:`lifeline.core.ports.AlertActions`
(``act``) and owns every open alert (one per ``(source_id, rule)``). It is thin: the
machines (``threshold``, ``events``, ``stuck``, ``deadman``, ``anomaly``) and the
lifecycle are pure; the engine keeps their states, applies their evaluations and does
the I/O.

Order of a change: the lifecycle transition is saved to the store with its audit entry,
then notified (each notifier failure is logged and counted, never raised). A machine's
new state is kept only after its evaluation was applied, so a failed store write makes
the ingester's retry re-evaluate the record instead of losing the alert.

Time: rule evaluation uses event time only; deadman "now" is the clock of the source's
own feed (``alerts.feed_clock``: its utility's newest ``ts_ms``, run on by the wall
clock while that feed is silent); shelve expiry and operator actions use ``clock``.
Repeats (condition still active, same severity) update the alert in memory and are
written to the store every ``flush_every_ms`` (no audit row: not a transition) and at stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

import msgspec

from alerts import anomaly, deadman, events, lifecycle, stuck, threshold
from alerts.detector_registry import AnyDetector, build_detector
from alerts.durable import save_until_stored
from alerts.evaluation import Evaluation, combine
from alerts.feed_clock import FeedClocks
from alerts.metrics import AlertMetrics
from alerts.payload import alert_event
from alerts.rules import (
    AnomalyRule,
    DeadmanRule,
    EventRule,
    EventSpec,
    Level,
    Rule,
    RuleSet,
    StuckRule,
    ThresholdRule,
)
from alerts.snapshot import RuleStates, load_snapshot, save_snapshot
from alerts.source_state import SourceState, source_state
from lifeline.core.alert import (
    OPEN_STATES,
    Alert,
    AlertAction,
    AlertCategory,
    AlertState,
    AuditEntry,
    Severity,
)
from lifeline.core.errors import NotFoundError, TransitionError
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import GasEvent, MeterReading
from lifeline.core.ports import AlertStore, Clock, Notifier
from lifeline.core.records import Record, numeric_fields
from lifeline.core.registry import Registry
from lifeline.core.topics import RecordKind

__all__ = ["AlertEngine", "EngineOptions"]

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (source_id, rule name)

_KIND_OF_RECORD: Final[dict[RecordKind, SourceKind]] = {
    RecordKind.GAS_READING: SourceKind.GAS_CHANNEL,
    RecordKind.GAS_EVENT: SourceKind.GAS_CHANNEL,
    RecordKind.METER_READING: SourceKind.METER,
    RecordKind.STATION_TELEMETRY: SourceKind.STATION,
}
_QUIET: Final = frozenset({AlertState.SHELVED, AlertState.OUT_OF_SERVICE})


class EngineOptions(msgspec.Struct, frozen=True):
    """Tuning of an :class:`AlertEngine`; ``state_path`` None = no snapshot file."""

    state_path: Path | None = None
    snapshot_every_ms: int = 5_000
    flush_every_ms: int = 30_000
    tick_interval_s: float = 1.0
    notify_timeout_s: float = 5.0
    max_shelve_ms: int = 7 * 24 * 3600 * 1000
    owns: Callable[[Alert], bool] | None = None
    """Scaled out: which stored alerts belong to this engine (its partitions); None = all."""
    owns_source: Callable[[str], bool] | None = None
    """Scaled out: which registry sources this engine arms deadman rules for before their
    first record (None with ``owns`` set = none: their first record arms them)."""


class AlertEngine:
    def __init__(
        self,
        rules: RuleSet,
        registry: Registry,
        store: AlertStore,
        notifiers: Sequence[Notifier],
        clock: Clock,
        options: EngineOptions | None = None,
        metrics: AlertMetrics | None = None,
    ) -> None:
        self._rules = rules
        self._registry = registry
        self._store = store
        self._notifiers = tuple(notifiers)
        self._clock = clock
        self._options = options or EngineOptions()
        self._metrics = metrics or AlertMetrics.on()
        self._lock = asyncio.Lock()
        self._states = RuleStates()
        self._open: dict[Key, Alert] = {}
        self._by_id: dict[int, Key] = {}
        self._dirty: set[Key] = set()
        self._levels: dict[tuple[str, float, float], ThresholdRule] = {}
        """``levels_from_registry`` rules resolved, by (rule, low_pct, high_pct)."""
        self._last_snapshot_ms = 0
        self._last_flush_ms = 0
        self._started = False
        self._watermark_wall_ms: int | None = None
        self._feeds = FeedClocks(self._states.feeds, clock.now_ms())
        self._armed_for: tuple[object, ...] = ()
        self._thresholds: dict[SourceKind, list[ThresholdRule]] = {}
        self._stucks: dict[SourceKind, list[StuckRule]] = {}
        self._event_rules: dict[SourceKind, list[tuple[ThresholdRule | EventRule, EventSpec]]] = {}
        self._deadmen: dict[SourceKind, list[DeadmanRule]] = {}
        self._anomalies: dict[SourceKind, list[tuple[AnomalyRule, AnyDetector]]] = {}
        for rule in rules.rules:
            if isinstance(rule, ThresholdRule):
                self._thresholds.setdefault(rule.kind, []).append(rule)
                if rule.events is not None:
                    self._event_rules.setdefault(rule.kind, []).append((rule, rule.events))
            elif isinstance(rule, EventRule):
                self._event_rules.setdefault(rule.kind, []).append((rule, rule.events))
            elif isinstance(rule, StuckRule):
                self._stucks.setdefault(rule.kind, []).append(rule)
            elif isinstance(rule, AnomalyRule):
                detector = build_detector(rule.detector, rule.inputs, rule.params)
                self._anomalies.setdefault(rule.kind, []).append((rule, detector))
            else:
                self._deadmen.setdefault(rule.kind, []).append(rule)

    # ------------------------------------------------------------------ lifecycle

    @property
    def watermark_ms(self) -> int:
        """Newest event time seen in any record (of any feed)."""
        return self._states.watermark_ms

    def feed_now_ms(self, source_id: str) -> int:
        """Event-time "now" of the feed ``source_id`` belongs to (its owning utility's):
        what its silence is measured against, by deadman rules and displays alike."""
        return self._feeds.now_of(self._feed_of(source_id), self._clock.now_ms())

    def event_now_ms(self) -> int:
        """Event-time "now" for displays that show no one source (time windows): the
        watermark, moved on by the wall time that has passed since it last advanced,
        never past the wall clock. Whether a source is silent is :meth:`feed_now_ms`'s.

        While data flows this is the watermark (so a replay of yesterday shows
        yesterday's picture); when all data stops it keeps running with the wall clock,
        so silent sources turn offline even though no record moves the watermark.
        """
        wall = self._clock.now_ms()
        if self._watermark_wall_ms is None:
            return wall
        return min(wall, self._states.watermark_ms + (wall - self._watermark_wall_ms))

    async def start(self) -> None:
        """Load open alerts from the store and the rule-state snapshot."""
        async with self._lock:
            self._open.clear()
            self._by_id.clear()
            owns = self._options.owns
            for alert in sorted(await self._store.open_alerts(), key=lambda a: a.id):
                if owns is not None and not owns(alert):
                    continue
                key = (alert.source_id, alert.rule)
                if key in self._open:
                    log.warning("alert_duplicate_open", extra={"id": alert.id, "key": key})
                self._remember(alert)
            if self._options.state_path is not None:
                self._states = await asyncio.to_thread(load_snapshot, self._options.state_path)
            now = self._clock.now_ms()
            self._restore_feeds()
            self._feeds = FeedClocks(self._states.feeds, now)  # silences count from here
            self._rearm_unheard(now)
            self._arm_unheard(now)
            self._last_snapshot_ms = self._last_flush_ms = now
            self._update_open_gauge()
            self._started = True
            log.info(
                "alert_engine_started",
                extra={"open_alerts": len(self._open), "watermark_ms": self.watermark_ms},
            )

    async def stop(self) -> None:
        """Write pending repeats and the snapshot."""
        async with self._lock:
            await self._flush_repeats()
            await self._save_snapshot()

    async def run(self) -> None:
        """Call :meth:`tick` every ``tick_interval_s`` until cancelled."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("alert_tick_failed")
            await asyncio.sleep(self._options.tick_interval_s)

    async def tick(self) -> None:
        """Shelf expiry (wall clock), deadman checks (watermark), periodic writes."""
        async with self._lock:
            now = self._clock.now_ms()
            for key, alert in list(self._open.items()):
                until = alert.shelved_until_ms
                if alert.state is AlertState.SHELVED and until is not None and now >= until:
                    await self._commit(key, *lifecycle.expire_shelf(alert, now), notify=True)
            await self._check_deadmen()
            if now - self._last_flush_ms >= self._options.flush_every_ms:
                await self._flush_repeats()
                self._last_flush_ms = now
            if now - self._last_snapshot_ms >= self._options.snapshot_every_ms:
                await self._save_snapshot()
                self._last_snapshot_ms = now

    # ------------------------------------------------------------------ queries

    def open_alerts(self) -> list[Alert]:
        return list(self._open.values())

    def alerts_of(self, source_id: str) -> list[Alert]:
        return [alert for (source, _), alert in self._open.items() if source == source_id]

    def source_state(self, source_id: str) -> SourceState:
        """normal | alarm | fault | offline from open alerts; a station also shows its
        enterprise's offline alert (its own is inhibited then)."""
        alerts = self.alerts_of(source_id)
        enterprise = self._registry.enterprise_of(source_id)
        if enterprise is not None and enterprise != source_id:
            alerts += [a for a in self.alerts_of(enterprise) if a.category is AlertCategory.OFFLINE]
        return source_state(alerts)

    # ------------------------------------------------------------------ ingest sink

    async def accept(self, records: Sequence[Record]) -> None:
        """Evaluate records in event-time order; returns once every resulting transition
        is stored (a busy alert store is waited for, alerts/durable.py). A record whose
        evaluation raises (a bug) is logged and counted, and the others go on."""
        if not records:
            return
        async with self._lock:
            for record in sorted(records, key=lambda r: r.ts_ms):
                try:
                    await self._evaluate(record)
                except Exception:
                    self._metrics.evaluation_failures.inc()
                    log.exception(
                        "alert_evaluation_failed",
                        extra={"source_id": record.source_id, "ts_ms": record.ts_ms},
                    )
                if record.ts_ms > self._states.watermark_ms:
                    self._states.watermark_ms = record.ts_ms
                    self._watermark_wall_ms = self._clock.now_ms()

    async def _evaluate(self, record: Record) -> None:
        source = record.source_id
        kind = self._registry.kind_of(source) or _KIND_OF_RECORD[record.kind]
        ts = record.ts_ms
        metrics = dict(numeric_fields(record))
        for rule in self._thresholds.get(kind, ()):
            value = metrics.get(rule.metric)
            if value is None:
                continue
            table = self._states.threshold.setdefault(rule.name, {})
            resolved = self._resolve(rule, source)
            state, evaluation = threshold.update(table.get(source), value, ts, resolved, source)
            if evaluation is not None and rule.events is not None:
                other = self._states.events.get(rule.name, {}).get(source)
                evaluation = combine(
                    [evaluation, events.current(other, rule.events, rule.name, source)]
                )
            await self._apply(rule, source, kind, evaluation, ts)
            if state is not None:
                table[source] = state
        for stuck_rule in self._stucks.get(kind, ()):
            value = metrics.get(stuck_rule.metric)
            if value is None:
                continue
            stuck_table = self._states.stuck.setdefault(stuck_rule.name, {})
            stuck_state, evaluation = stuck.update(
                stuck_table.get(source), value, ts, stuck_rule, source
            )
            await self._apply(stuck_rule, source, kind, evaluation, ts)
            if stuck_state is not None:
                stuck_table[source] = stuck_state
        for anomaly_rule, detector in self._anomalies.get(kind, ()):
            await self._evaluate_anomaly(anomaly_rule, detector, source, kind, metrics, ts)
        await self._evaluate_events(record, kind)
        await self._evaluate_seen(record, kind)

    async def _evaluate_anomaly(
        self,
        rule: AnomalyRule,
        detector: AnyDetector,
        source: str,
        kind: SourceKind,
        metrics: dict[str, float],
        ts: int,
    ) -> None:
        inputs: float | dict[str, float]
        if rule.metric is not None:
            value = metrics.get(rule.metric)
            if value is None:
                return
            inputs = value
        else:
            inputs = {m: metrics[m] for m in rule.metrics if m in metrics}
            if not inputs:
                return
        table = self._states.anomaly.setdefault(rule.name, {})
        state, evaluation = anomaly.update(table.get(source), ts, inputs, rule, detector, source)
        if evaluation is not None and (
            evaluation.active
            or (source, rule.name) in self._open
            or source in self._states.closed_active.get(rule.name, ())
        ):  # most records are normal with nothing to reconcile: skip _apply then
            await self._apply(rule, source, kind, evaluation, ts)
        if state is not None:
            table[source] = state

    async def _evaluate_events(self, record: Record, kind: SourceKind) -> None:
        body = record.body
        value: float | None = None
        detail: str | None = None
        if isinstance(body, GasEvent):
            types: list[str] = [body.type.value]
            value, detail = body.lel_pct, body.detail
        elif isinstance(body, MeterReading):
            types = [alarm.value for alarm in body.alarms]
        else:
            return
        source, ts = record.source_id, record.ts_ms
        for rule, spec in self._event_rules.get(kind, ()):
            table = self._states.events.setdefault(rule.name, {})
            state, evaluation = events.update(
                table.get(source), types, ts, spec, rule.name, source, value, detail
            )
            if evaluation is not None and isinstance(rule, ThresholdRule):
                other = self._states.threshold.get(rule.name, {}).get(source)
                evaluation = combine(
                    [evaluation, threshold.current(other, self._resolve(rule, source), source)]
                )
            await self._apply(rule, source, kind, evaluation, ts)
            if state is not None:
                table[source] = state

    async def _evaluate_seen(self, record: Record, kind: SourceKind) -> None:
        self._feeds.heard(self._feed_of(record.source_id), record.ts_ms, self._clock.now_ms())
        targets: list[tuple[DeadmanRule, str, SourceKind]] = [
            (rule, record.source_id, kind) for rule in self._deadmen.get(kind, ())
        ]
        if kind is SourceKind.STATION:
            enterprise = record.enterprise_id or self._registry.enterprise_of(record.source_id)
            if enterprise is not None:
                targets += [
                    (rule, enterprise, SourceKind.ENTERPRISE)
                    for rule in self._deadmen.get(SourceKind.ENTERPRISE, ())
                ]
        for rule, source, source_kind in targets:
            table = self._states.deadman.setdefault(rule.name, {})
            state, evaluation = deadman.seen(table.get(source), record.ts_ms)
            await self._apply(rule, source, source_kind, evaluation, record.ts_ms)
            table[source] = state

    async def _check_deadmen(self) -> None:
        """Each source's silence against its own feed's clock (enterprises first, so a
        station of a silent enterprise is inhibited in the same tick)."""
        wall = self._clock.now_ms()
        self._feeds.pace(wall)
        self._arm_unheard(wall)
        feed_now: dict[str, int] = {}
        enterprise_rules = self._deadmen.get(SourceKind.ENTERPRISE, [])
        ordered = enterprise_rules + [
            rule
            for kind, rules in self._deadmen.items()
            if kind is not SourceKind.ENTERPRISE
            for rule in rules
        ]
        for rule in ordered:
            table = self._states.deadman.get(rule.name, {})
            for source, state in list(table.items()):
                if state.active:
                    continue
                feed = self._feed_of(source)
                now = feed_now.get(feed)
                if now is None:
                    now = feed_now[feed] = self._feeds.now_of(feed, wall)
                if rule.kind is SourceKind.STATION and self._inhibited(source, now, rule):
                    continue
                new, evaluation = deadman.check(state, now, rule, source)
                if evaluation is None:
                    continue
                at = state.last_seen_ms + rule.timeout_ms
                await self._apply(rule, source, rule.kind, evaluation, at)
                table[source] = new

    def _feed_of(self, source_id: str) -> str:
        """The feed a source's records come in: its owning utility ("" if unknown)."""
        return self._registry.owner_of(source_id) or ""

    def _restore_feeds(self) -> None:
        """A snapshot written before feed clocks existed has last-seen times but no
        feeds: each feed's newest is then its sources' newest last-seen (otherwise the
        feed would have the wall clock, and a downtime would read as their silence)."""
        feeds = self._states.feeds
        derived: dict[str, int] = {}
        for table in self._states.deadman.values():
            for source, state in table.items():
                feed = self._feed_of(source)
                if state.heard and feed not in feeds:
                    derived[feed] = max(derived.get(feed, state.last_seen_ms), state.last_seen_ms)
        feeds.update(derived)

    def _rearm_unheard(self, wall_ms: int) -> None:
        """At a start, sources still never heard from count their silence from now: the
        platform's own downtime is not theirs (raised alerts stay)."""
        for table in self._states.deadman.values():
            for source, state in table.items():
                if not state.heard and not state.active:
                    feed = self._feed_of(source)
                    table[source] = deadman.unheard(self._feeds.now_of(feed, wall_ms))

    def _arm_unheard(self, wall_ms: int) -> None:
        """Arm the deadman rules of registry sources that never sent anything, at their
        feed's "now" (platform start, or when the registry first listed them). Looked
        at again whenever the registry's tables are replaced (a reload adopts new ones).
        """
        registry = self._registry
        tables = (registry.channels, registry.meters, registry.stations, registry.enterprises)
        if len(tables) == len(self._armed_for) and all(
            a is b for a, b in zip(tables, self._armed_for, strict=True)
        ):
            return
        self._armed_for = tables
        owns = self._options.owns_source
        if owns is None and self._options.owns is not None:
            return  # scaled out without a source filter: first records arm
        ids_of_kind: dict[SourceKind, Iterable[str]] = {
            SourceKind.GAS_CHANNEL: registry.channels,
            SourceKind.METER: registry.meters,
            SourceKind.STATION: registry.stations,
            SourceKind.ENTERPRISE: registry.enterprises,
        }
        for kind, rules in self._deadmen.items():
            for rule in rules:
                table = self._states.deadman.setdefault(rule.name, {})
                for source in ids_of_kind[kind]:
                    if source not in table and (owns is None or owns(source)):
                        feed = self._feed_of(source)
                        table[source] = deadman.unheard(self._feeds.now_of(feed, wall_ms))

    def _inhibited(self, station: str, now: int, rule: DeadmanRule) -> bool:
        enterprise = self._registry.enterprise_of(station)
        if enterprise is None:
            return False
        for enterprise_rule in self._deadmen.get(SourceKind.ENTERPRISE, ()):
            state = self._states.deadman.get(enterprise_rule.name, {}).get(enterprise)
            if deadman.inhibited(state, now, rule):
                return True
        return False

    def _resolve(self, rule: ThresholdRule, source: str) -> ThresholdRule:
        """The rule with the channel's own set-points when ``levels_from_registry``.

        Looked up in the registry at every record, so an administrator's edit applies
        to the next one; the memo is keyed by the set-points themselves (a few distinct
        pairs), never by channel, so it cannot go stale."""
        if not rule.levels_from_registry:
            return rule
        channel = self._registry.channels.get(source)
        if channel is None or not channel.low_pct < channel.high_pct:
            return rule
        key = (rule.name, channel.low_pct, channel.high_pct)
        resolved = self._levels.get(key)
        if resolved is None:
            low, high = rule.levels
            levels = [Level(channel.low_pct, low.severity), Level(channel.high_pct, high.severity)]
            resolved = self._levels[key] = msgspec.structs.replace(rule, levels=levels)
        return resolved

    # ------------------------------------------------------------------ applying

    async def _apply(
        self,
        rule: Rule,
        source: str,
        kind: SourceKind,
        evaluation: Evaluation | None,
        ts_ms: int,
    ) -> None:
        if evaluation is None:
            return
        key = (source, rule.name)
        if evaluation.active:
            if source not in self._states.closed_active.get(rule.name, ()):
                await self._hold(rule, key, kind, evaluation, ts_ms)
            return
        if evaluation.momentary:  # a pulse: raise (or re-activate), then clear at once
            await self._hold(rule, key, kind, evaluation, ts_ms)
        latched = self._states.closed_active.get(rule.name)
        if latched:
            latched.discard(source)
        alert = self._open.get(key)
        if alert is not None and alert.condition_active:
            await self._commit(
                key, *lifecycle.clear(alert, ts_ms), notify=alert.state not in _QUIET
            )
            self._metrics.cleared.labels(rule.name, alert.severity.value).inc()

    async def _hold(
        self,
        rule: Rule,
        key: Key,
        kind: SourceKind,
        evaluation: Evaluation,
        ts_ms: int,
    ) -> None:
        """The condition holds: raise a new alert or update the open one."""
        severity = evaluation.severity or Severity.MINOR
        alert = self._open.get(key)
        if alert is None:
            source = key[0]
            new, entry = lifecycle.raise_alert(
                source_id=source,
                source_kind=kind,
                rule=rule.name,
                severity=severity,
                category=rule.category,
                message=evaluation.message,
                value=evaluation.value,
                threshold=evaluation.threshold,
                ts_ms=ts_ms,
                district=self._registry.district_of(source),
                enterprise_id=self._registry.enterprise_of(source),
                utility_id=self._registry.owner_of(source),
            )
            await self._commit(key, new, entry, notify=True)
            self._metrics.raised.labels(rule.name, severity.value).inc()
            return
        updated, maybe_entry = lifecycle.update(
            alert,
            severity=severity,
            message=evaluation.message,
            value=evaluation.value,
            threshold=evaluation.threshold,
            ts_ms=ts_ms,
        )
        if maybe_entry is None:
            self._open[key] = updated
            self._dirty.add(key)
            return
        await self._commit(key, updated, maybe_entry, notify=updated.state not in _QUIET)

    async def _commit(
        self, key: Key, alert: Alert, entry: AuditEntry, *, notify: bool, operator: bool = False
    ) -> Alert:
        """Save a transition, track the alert, then notify. Transitions of the data path
        are retried until stored (alerts/durable.py); an ``operator`` action fails fast."""
        if operator:
            saved = await self._store.save(alert, entry)
        else:
            saved = await save_until_stored(self._store, alert, entry, self._metrics)
        self._dirty.discard(key)
        self._metrics.transitions.labels(entry.action).inc()
        if saved.state in OPEN_STATES:
            self._remember(saved)
        else:
            self._open.pop(key, None)
            self._by_id.pop(saved.id, None)
        self._update_open_gauge()
        log.info(
            "alert_transition",
            extra={
                "alert_id": saved.id,
                "source_id": saved.source_id,
                "rule": saved.rule,
                "action": entry.action,
                "actor": entry.actor,
                "state": saved.state.value,
                "severity": saved.severity.value,
            },
        )
        if notify:
            await self._notify(saved)
        return saved

    def _remember(self, alert: Alert) -> None:
        key = (alert.source_id, alert.rule)
        self._open[key] = alert
        self._by_id[alert.id] = key

    async def _notify(self, alert: Alert) -> None:
        event = alert_event(alert)
        for notifier in self._notifiers:
            try:
                async with asyncio.timeout(self._options.notify_timeout_s):
                    await notifier.notify(event)
            except Exception:
                name = type(notifier).__name__
                self._metrics.notifier_failures.labels(name).inc()
                log.exception("alert_notify_failed", extra={"notifier": name, "alert_id": alert.id})

    def _update_open_gauge(self) -> None:
        counts = dict.fromkeys(Severity, 0)
        for alert in self._open.values():
            counts[alert.severity] += 1
        for severity, count in counts.items():
            self._metrics.open.labels(severity.value).set(count)

    async def _flush_repeats(self) -> None:
        """Persist repeat counts and latest values; not a transition, so no audit row."""
        for key in list(self._dirty):
            alert = self._open.get(key)
            self._dirty.discard(key)
            if alert is not None:
                saved = await save_until_stored(self._store, alert, None, self._metrics)
                self._remember(saved)

    async def _save_snapshot(self) -> None:
        path = self._options.state_path
        if path is None:
            return
        data = msgspec.msgpack.encode(self._states)
        try:
            await asyncio.to_thread(save_snapshot, path, data)
        except OSError:
            self._metrics.snapshot_failures.inc()
            log.exception("alert_snapshot_failed", extra={"path": str(path)})

    # ------------------------------------------------------------------ operator actions

    async def act(
        self,
        alert_id: int,
        action: AlertAction,
        actor: str,
        note: str | None = None,
        shelve_ms: int | None = None,
        assignee: str | None = None,
        cause: str | None = None,
    ) -> Alert:
        """Apply an operator action; raises NotFoundError or TransitionError."""
        try:
            action = AlertAction(action)
        except ValueError:
            raise TransitionError(f"unknown action {action!r}") from None
        if cause is not None and action is not AlertAction.CLOSE:
            raise TransitionError(f"a cause is given with close only, not with {action}")
        async with self._lock:
            now = self._clock.now_ms()
            key = self._by_id.get(alert_id)
            alert = None if key is None else self._open.get(key)
            if alert is None:
                stored = await self._store.get(alert_id)
                if stored is None:
                    raise NotFoundError(f"alert {alert_id} not found")
                alert = stored
                key = (alert.source_id, alert.rule)
                if alert.state in OPEN_STATES:  # not loaded (started without start()?)
                    self._remember(alert)
            assert key is not None
            new, entry = self._transition(
                alert, action, actor, now, note, shelve_ms, assignee, cause
            )
            if new.state is AlertState.CLOSED and alert.condition_active:
                self._states.closed_active.setdefault(alert.rule, set()).add(alert.source_id)
            return await self._commit(key, new, entry, notify=True, operator=True)

    def _transition(
        self,
        alert: Alert,
        action: AlertAction,
        actor: str,
        now: int,
        note: str | None,
        shelve_ms: int | None,
        assignee: str | None,
        cause: str | None = None,
    ) -> lifecycle.Transition:
        if action is AlertAction.ACK:
            return lifecycle.ack(alert, actor, now, note)
        if action is AlertAction.SHELVE:
            if shelve_ms is None:
                raise TransitionError("shelve needs a duration (shelve_ms)")
            if shelve_ms > self._options.max_shelve_ms:
                raise TransitionError(
                    f"shelve duration {shelve_ms} ms exceeds the maximum "
                    f"{self._options.max_shelve_ms} ms"
                )
            return lifecycle.shelve(alert, actor, now, shelve_ms, note)
        if action is AlertAction.UNSHELVE:
            return lifecycle.unshelve(alert, actor, now, note)
        if action is AlertAction.CLOSE:
            return lifecycle.close(alert, actor, now, note, cause)
        if action is AlertAction.OUT_OF_SERVICE:
            return lifecycle.out_of_service(alert, actor, now, note)
        if action is AlertAction.RETURN_TO_SERVICE:
            return lifecycle.return_to_service(alert, actor, now, note)
        if action is AlertAction.ASSIGN:
            return lifecycle.assign(alert, actor, now, assignee, note)
        raise TransitionError(f"unknown action {action!r}")
