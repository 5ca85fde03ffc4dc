"""AlertEngine: records -> rule machines -> lifecycle -> AlertStore -> notifiers.

It is the ingester's sink (``accept``) and the API's
:class:`lifeline.core.ports.AlertActions` (``act``). It keeps evaluation and the
lifecycle; what it delegates:

- the rule types (``alerts.machines``): one :class:`~alerts.machines.Machine` per type
  turns a record into steps; the engine knows no type by name;
- the open alerts and the queries on them (``alerts.open_alerts``: ``engine.open``);
- event-time clocks, the watermark and each feed's (``alerts.event_time``:
  ``engine.times``, the API's display clock);
- the snapshot of rule states (``alerts.snapshot``).

Order of a change: the lifecycle transition is saved to the store with its audit entry,
then notified (each notifier failure is logged and counted, never raised). A machine's
new state is kept only after its step was applied, so a failed store write makes the
ingester's retry re-evaluate the record instead of losing the alert. Data-path
transitions are retried until stored (``alerts.durable``); operator actions fail fast.

Time: rule evaluation uses event time only; deadman "now" is the clock of the source's
own feed; shelf expiry and operator actions use ``clock`` (the wall clock). Repeats
(condition still active, same severity) update the alert in memory and are written to
the store every ``flush_every_ms`` (no audit row: not a transition) and at stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

import msgspec

from alerts import lifecycle
from alerts.durable import save_until_stored
from alerts.event_time import EventTimes
from alerts.machines import RULE_TYPES, Machine, MachineContext, Seen, Step, Ticking
from alerts.metrics import AlertMetrics
from alerts.open_alerts import Key, OpenAlerts
from alerts.payload import alert_event
from alerts.rules import RuleSet
from alerts.snapshot import RuleStates, encode_snapshot, load_snapshot, save_snapshot
from lifeline.core.alert import (
    OPEN_STATES,
    Alert,
    AlertAction,
    AlertCommand,
    AlertState,
    AuditEntry,
    Severity,
)
from lifeline.core.errors import NotFoundError, TransitionError
from lifeline.core.ids import SourceKind
from lifeline.core.ports import AlertStore, Clock, Notifier
from lifeline.core.records import Record, numeric_fields
from lifeline.core.registry import Registry
from lifeline.core.topics import RecordKind

__all__ = ["AlertEngine", "EngineOptions"]

log = logging.getLogger(__name__)

_KIND_OF_RECORD: Final[dict[RecordKind, SourceKind]] = {
    RecordKind.GAS_READING: SourceKind.GAS_CHANNEL,
    RecordKind.GAS_EVENT: SourceKind.GAS_CHANNEL,
    RecordKind.METER_READING: SourceKind.METER,
    RecordKind.STATION_TELEMETRY: SourceKind.STATION,
}
_QUIET: Final = frozenset({AlertState.SHELVED, AlertState.OUT_OF_SERVICE})
_CHUNK: Final = 256  # records evaluated per hold of the lock (see accept)
_STATE_TYPES: Final = {t.field: t.state for t in RULE_TYPES}


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
    suppressed: Callable[[str, int], str | None] | None = None
    """Why a source's new alerts are suppressed at a wall-clock instant (a maintenance
    window), or None: they are raised ``out_of_service``, audited, not notified."""


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
        self._registry = registry
        self._store = store
        self._notifiers = tuple(notifiers)
        self._clock = clock
        self._options = options or EngineOptions()
        self._metrics = metrics or AlertMetrics.on()
        self._lock = asyncio.Lock()
        self._states = RuleStates()
        self.open = OpenAlerts(registry, self._metrics)
        self.times = EventTimes(registry, clock)
        context = MachineContext(
            registry,
            self.times,
            owns_source=self._options.owns_source,
            scaled_out=self._options.owns is not None,
            is_open=self.open.has,
        )
        self._machines = [
            rule_type.machine([r for r in rules.rules if isinstance(r, rule_type.rule)], context)
            for rule_type in RULE_TYPES
        ]
        self._machines_of: dict[SourceKind, list[Machine]] = {
            kind: [m for m in self._machines if kind in m.kinds] for kind in SourceKind
        }
        self._ticking = [m for m in self._machines if isinstance(m, Ticking)]
        self._last_snapshot_ms = self._last_flush_ms = 0

    # ------------------------------------------------------------------ running

    async def start(self) -> None:
        """Load open alerts from the store and the rule-state snapshot."""
        async with self._lock:
            self.open.clear()
            owns = self._options.owns
            for alert in sorted(await self._store.open_alerts(), key=lambda a: a.id):
                if owns is not None and not owns(alert):
                    continue
                if (alert.source_id, alert.rule) in self.open:
                    log.warning("alert_duplicate_open", extra={"id": alert.id})
                self.open.remember(alert)
            if self._options.state_path is not None:
                path = self._options.state_path
                self._states = await asyncio.to_thread(load_snapshot, path, _STATE_TYPES)
            now = self._clock.now_ms()
            for machine in self._ticking:
                machine.restore(self._states)
            self.times.restore(self._states, now)  # silences count from here
            for machine in self._ticking:
                machine.start(self._states, now)
            self._last_snapshot_ms = self._last_flush_ms = now
            self.open.count_gauge()
            log.info(
                "alert_engine_started",
                extra={"open_alerts": len(self.open.alerts()), "watermark_ms": self.watermark_ms},
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
        """Shelf expiry (wall clock), the machines' clock steps (deadman), periodic writes."""
        async with self._lock:
            now = self._clock.now_ms()
            for key, alert in self.open.items():
                until = alert.shelved_until_ms
                if alert.state is AlertState.SHELVED and until is not None and now >= until:
                    await self._commit(key, *lifecycle.expire_shelf(alert, now), notify=True)
            self.times.pace(now)
            for machine in self._ticking:
                await self._apply_all(machine.due(self._states, now))
            if now - self._last_flush_ms >= self._options.flush_every_ms:
                await self._flush_repeats()
                self._last_flush_ms = now
            if now - self._last_snapshot_ms >= self._options.snapshot_every_ms:
                await self._save_snapshot()
                self._last_snapshot_ms = now

    @property
    def watermark_ms(self) -> int:
        """Newest event time seen in any record (of any feed)."""
        return self.times.watermark_ms

    # ------------------------------------------------------------------ ingest sink

    async def accept(self, records: Sequence[Record]) -> None:
        """Evaluate records in event-time order; returns once every resulting transition
        is stored (a busy alert store is waited for, alerts/durable.py). A record whose
        evaluation raises (a bug) is logged and counted, and the others go on.

        The lock is taken per chunk of ``_CHUNK`` records, so the alarm lane's records
        wait for at most one chunk of a bulk upload, never for the whole upload."""
        if not records:
            return
        ordered = sorted(records, key=lambda r: r.ts_ms)
        for start in range(0, len(ordered), _CHUNK):
            async with self._lock:
                for record in ordered[start : start + _CHUNK]:
                    try:
                        await self._evaluate(record)
                    except Exception:
                        self._metrics.evaluation_failures.inc()
                        log.exception(
                            "alert_evaluation_failed",
                            extra={"source_id": record.source_id, "ts_ms": record.ts_ms},
                        )
                    self.times.heard(record.source_id, record.ts_ms)

    async def _evaluate(self, record: Record) -> None:
        kind = self._registry.kind_of(record.source_id) or _KIND_OF_RECORD[record.kind]
        seen = Seen(record, kind, dict(numeric_fields(record)))
        for machine in self._machines_of[kind]:
            await self._apply_all(machine.observe(seen, self._states))

    # ------------------------------------------------------------------ applying

    async def _apply_all(self, steps: Iterable[Step]) -> None:
        """Apply each step, then keep its state (see alerts.machines.base)."""
        for step in steps:
            evaluation = step.evaluation
            if evaluation is not None and (
                evaluation.active
                or evaluation.momentary
                or (step.source_id, step.rule.name) in self.open
                or step.source_id in self._states.closed_active.get(step.rule.name, ())
            ):  # most records are normal with nothing to reconcile: skip _apply then
                await self._apply(step)
            if step.table is not None and step.state is not None:
                step.table[step.source_id] = step.state

    async def _apply(self, step: Step) -> None:
        evaluation = step.evaluation
        assert evaluation is not None
        rule, source = step.rule, step.source_id
        key = (source, rule.name)
        if evaluation.active:
            if source not in self._states.closed_active.get(rule.name, ()):
                await self._hold(step, key)
            return
        if evaluation.momentary:  # a pulse: raise (or re-activate), then clear at once
            await self._hold(step, key)
        latched = self._states.closed_active.get(rule.name)
        if latched:
            latched.discard(source)
        alert = self.open.get(key)
        if alert is not None and alert.condition_active:
            await self._commit(
                key, *lifecycle.clear(alert, step.ts_ms), notify=alert.state not in _QUIET
            )
            self._metrics.cleared.labels(rule.name, alert.severity.value).inc()

    async def _hold(self, step: Step, key: Key) -> None:
        """The condition holds: raise a new alert or update the open one."""
        evaluation = step.evaluation
        assert evaluation is not None
        severity = evaluation.severity or Severity.MINOR
        alert = self.open.get(key)
        if alert is None:
            source = step.source_id
            new, entry = lifecycle.raise_alert(
                source_id=source,
                source_kind=step.kind,
                rule=step.rule.name,
                severity=severity,
                category=step.rule.category,
                message=evaluation.message,
                value=evaluation.value,
                threshold=evaluation.threshold,
                ts_ms=step.ts_ms,
                district=self._registry.district_of(source),
                enterprise_id=self._registry.enterprise_of(source),
                utility_id=self._registry.owner_of(source),
                suppressed=self._suppressed(source),
            )
            await self._commit(key, new, entry, notify=new.state not in _QUIET)
            self._metrics.raised.labels(step.rule.name, severity.value).inc()
            return
        updated, maybe_entry = lifecycle.update(
            alert,
            severity=severity,
            message=evaluation.message,
            value=evaluation.value,
            threshold=evaluation.threshold,
            ts_ms=step.ts_ms,
        )
        if maybe_entry is None:
            self.open.repeat(key, updated)
            return
        await self._commit(key, updated, maybe_entry, notify=updated.state not in _QUIET)

    def _suppressed(self, source: str) -> str | None:
        why = self._options.suppressed
        return None if why is None else why(source, self._clock.now_ms())

    async def _commit(
        self, key: Key, alert: Alert, entry: AuditEntry, *, notify: bool, operator: bool = False
    ) -> Alert:
        """Save a transition, track the alert, then notify. Transitions of the data path
        are retried until stored (alerts/durable.py); an ``operator`` action fails fast."""
        if operator:
            saved = await self._store.save(alert, entry)
        else:
            saved = await save_until_stored(self._store, alert, entry, self._metrics)
        self.open.dirty.discard(key)
        self._metrics.transitions.labels(entry.action).inc()
        if saved.state in OPEN_STATES:
            self.open.remember(saved)
        else:
            self.open.forget(key, saved.id)
        self.open.count_gauge()
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

    async def _flush_repeats(self) -> None:
        """Persist repeat counts and latest values; not a transition, so no audit row."""
        for key in list(self.open.dirty):
            alert = self.open.get(key)
            self.open.dirty.discard(key)
            if alert is not None:
                saved = await save_until_stored(self._store, alert, None, self._metrics)
                self.open.remember(saved)

    async def _save_snapshot(self) -> None:
        path = self._options.state_path
        if path is None:
            return
        data = encode_snapshot(self._states)
        try:
            await asyncio.to_thread(save_snapshot, path, data)
        except OSError:
            self._metrics.snapshot_failures.inc()
            log.exception("alert_snapshot_failed", extra={"path": str(path)})

    # ------------------------------------------------------------------ operator actions

    async def act(self, alert_id: int, command: AlertCommand) -> Alert:
        """Apply an operator's command; raises NotFoundError or TransitionError."""
        try:
            command = msgspec.structs.replace(command, action=AlertAction(command.action))
        except ValueError:
            raise TransitionError(f"unknown action {command.action!r}") from None
        async with self._lock:
            now = self._clock.now_ms()
            key = self.open.key_of(alert_id)
            alert = None if key is None else self.open.get(key)
            if alert is None:
                stored = await self._store.get(alert_id)
                if stored is None:
                    raise NotFoundError(f"alert {alert_id} not found")
                alert = stored
                key = (alert.source_id, alert.rule)
                if alert.state in OPEN_STATES:  # not loaded (started without start()?)
                    self.open.remember(alert)
            assert key is not None
            new, entry = lifecycle.act(alert, command, now, self._options.max_shelve_ms)
            if new.state is AlertState.CLOSED and alert.condition_active:
                self._states.closed_active.setdefault(alert.rule, set()).add(alert.source_id)
            return await self._commit(key, new, entry, notify=True, operator=True)
