"""The notification centre: plans from the alert audit log, sends what is due.

One loop (:meth:`NotificationCenter.run`): plan the audit rows after its cursor
(``alerts.notify.plan``, in the outbox's transaction), claim the items that are due,
deliver each (rosters resolved to who is on shift now, one rendered message per
receiver), record every attempt, and sleep until the next item is due, a transition
wakes it (it is a ``Notifier`` of the engine: :meth:`notify`), or a second passes (rows
written by other processes). Escalations and repeats run on the wall clock and are
checked when due: the alert must still be active and unacknowledged.

Failures: a retryable error (timeout, 5xx, a vendor's rate limit) is retried with a
jittered backoff (5 s doubling to 5 min) for ``max_attempts``; a permanent one fails
the item at once. A failing receiver is a health *warning* (readiness stays up): the
other receivers, the engine and ingest never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Final

import msgspec

from alerts.notify.base import AlertFacts, Kind, Message, Receiver, SendError
from alerts.notify.config import NotifyConfig
from alerts.notify.metrics import NotifyMetrics
from alerts.notify.plan import labels_of, plan
from alerts.notify.receivers import ANY_RECEIVER_CONFIG, build_receiver
from alerts.notify.render import Audience, alert_facts, render
from alerts.notify.roster import on_call
from alerts.rules import RuleSet
from lifeline.backoff import Backoff
from lifeline.core.alert import Alert, AlertCategory, AlertState, AuditEntry, Severity
from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind
from lifeline.core.notifications import Attempt, History, Item, ItemState, Planned
from lifeline.core.payloads import AlertEvent
from lifeline.core.ports import AlertStore, Clock
from lifeline.core.registry import Registry
from store.sqlite_notifications import SqliteNotificationStore

__all__ = ["NotificationCenter", "build_receivers"]

log = logging.getLogger(__name__)

_UNACKED: Final = frozenset({AlertState.ACTIVE_UNACKED, AlertState.CLEARED_UNACKED})
_CURSOR: Final = "notify"
_BATCH: Final = 50
_STALE_MS: Final = 120_000
_POLL_S: Final = 1.0


def _metric_of(rules: RuleSet) -> dict[str, str]:
    """rule -> the metric its alerts' value is in (deadman: the silence in seconds)."""
    metrics: dict[str, str] = {}
    for rule in rules.rules:
        metric = getattr(rule, "metric", None)
        if isinstance(metric, str):
            metrics[rule.name] = metric
        elif hasattr(rule, "timeout_s"):
            metrics[rule.name] = "silence_s"
    return metrics


class NotificationCenter:
    def __init__(
        self,
        config: NotifyConfig,
        receivers: Mapping[str, Receiver],
        outbox: SqliteNotificationStore,
        alerts: AlertStore,
        registry: Registry,
        rules: RuleSet,
        clock: Clock,
        *,
        instance: str = "lifeline",
        max_attempts: int = 20,
        metrics: NotifyMetrics | None = None,
    ) -> None:
        self.config = config
        self.receivers = dict(receivers)
        self._outbox = outbox
        self._alerts = alerts
        self._registry = registry
        self._metric_of = _metric_of(rules)
        self._clock = clock
        self._instance = instance
        self._max_attempts = max_attempts
        self._metrics = metrics or NotifyMetrics.on()
        self._rosters = {r.name: r for r in config.rosters}
        self._wake = asyncio.Event()
        self._backoff = Backoff(5.0, 300.0)
        self._failing: dict[str, str] = {}  # receiver -> last error, while failing
        self._more = False  # items made due now (a roster's) while sending

    # ------------------------------------------------------------------ engine side

    async def notify(self, event: AlertEvent) -> None:
        """The engine's ``Notifier``: a transition was stored; plan it now."""
        self._wake.set()

    def health(self) -> tuple[bool, str]:
        """Always ready (a failing receiver is a warning), with the failures named."""
        if not self._failing:
            return True, f"{len(self.receivers)} receivers"
        failing = ", ".join(f"{n}: {e}" for n, e in sorted(self._failing.items()))
        return True, f"warning: failing receivers: {failing}"[:300]

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        released = await self._outbox.release(self._instance)
        if released:
            log.info("notify_released", extra={"items": released})
        while True:
            self._wake.clear()
            try:
                busy = await self.step()
            except Exception:
                log.exception("notify_step_failed")
                busy = False
            if busy:
                continue
            await self._sleep()

    async def step(self) -> bool:
        """Plan new transitions and send due items once; True if there may be more."""
        now = self._clock.now_ms()
        planned = await self._outbox.plan(_CURSOR, self._planner(now), now)
        items = await self._outbox.claim(self._instance, now, _BATCH, _STALE_MS)
        if items:
            await asyncio.gather(*(self._deliver(item) for item in items))
        counts = await self._outbox.counts()
        self._metrics.pending.set(counts.get(ItemState.PENDING.value, 0))
        more, self._more = self._more, False
        return more or planned >= 500 or len(items) >= _BATCH

    async def _sleep(self) -> None:
        timeout = _POLL_S
        due = await self._outbox.next_due_ms()
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self._clock.now_ms()) / 1000))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _planner(self, now_ms: int):  # type: ignore[no-untyped-def]
        config = self.config

        def planner(
            entry: AuditEntry, alert: Alert, history: History
        ) -> tuple[Sequence[Planned], Sequence[int]]:
            district = alert.district or self._registry.district_of(alert.source_id) or ""
            owner = alert.utility_id or self._registry.owner_of(alert.source_id) or ""
            labels = labels_of(alert, district, owner, alert.category.value)
            result = plan(entry, alert, labels, config, history, now_ms)
            return result.items, result.cancel

        return planner

    # ------------------------------------------------------------------ delivering

    async def _deliver(self, item: Item) -> None:
        try:
            await self._deliver_item(item)
        except Exception as error:  # a bug: keep the item, try again later
            log.exception("notify_deliver_failed", extra={"item": item.key})
            due = self._clock.now_ms() + int(self._backoff.delay(item.attempts) * 1000)
            await self._outbox.retry(item.id, due, f"internal: {type(error).__name__}")

    async def _deliver_item(self, item: Item) -> None:
        now = self._clock.now_ms()
        alerts, why_not, held = await self._subject(item)
        if why_not:
            await self._outbox.finish(item.id, ItemState.CANCELLED, why_not, now, held)
            self._metrics.total.labels(item.receiver, "cancelled").inc()
            return
        names = self._resolve(item.receiver, now)
        if not names:
            await self._fail(item, now, [], f"nobody on shift in roster {item.receiver}")
            return
        if len(names) > 1 or names[0] != item.receiver:  # a roster: one item per person
            children = [
                Planned(
                    f"{item.key}>{n}",
                    item.kind,
                    n,
                    now,
                    item.alert_id,
                    item.route,
                    item.step,
                    actor=item.actor,
                    crew=item.crew,
                )
                for n in names
            ]
            await self._outbox.enqueue(children, now)
            await self._outbox.finish(item.id, ItemState.SENT, f"on shift: {', '.join(names)}", now)
            self._more = True
            return
        await self._send(item, names[0], alerts, held, now)

    async def _subject(self, item: Item) -> tuple[list[Alert], str, list[int]]:
        """The alert(s) an item is about, or why it is no longer due; for a digest also
        the alerts it held (all of them leave the digest queue with it)."""
        if item.kind == "digest":
            held = [h.alert_id for h in await self._outbox.grouped(item.route, item.receiver)]
            ids = [i for i in held if i is not None]
            found = [await self._alerts.get(i) for i in ids]
            alerts = [a for a in found if a is not None and a.state in _UNACKED]
            return alerts, "" if alerts else "nothing left to digest", ids
        if item.alert_id is None:
            return [], "", []
        alert = await self._alerts.get(item.alert_id)
        if alert is None:
            return [], "alert gone", []
        if item.kind in ("escalation", "repeat") and (
            alert.state is not AlertState.ACTIVE_UNACKED or not alert.condition_active
        ):
            return [], f"alert {alert.state.value}: no longer due", []
        if item.kind == "firing" and alert.state not in _UNACKED:
            return [], f"alert {alert.state.value} before it was sent", []
        return [alert], "", []

    def _resolve(self, name: str, now_ms: int) -> list[str]:
        roster = self._rosters.get(name)
        if roster is None:
            return [name] if name in self.receivers else []
        return list(on_call(roster, now_ms))

    def message(self, item: Item, receiver: Receiver, alerts: Sequence[Alert]) -> Message:
        config = getattr(receiver, "config", None)
        audience = Audience(
            getattr(config, "lang", "zh-CN"), getattr(config, "tz", "Asia/Shanghai")
        )
        facts: list[AlertFacts] = [
            alert_facts(a, self._registry, self._metric_of, audience, self.config.link_base)
            for a in alerts
        ]
        kind: Kind = item.kind  # type: ignore[assignment]
        return render(
            kind,
            key=item.key,
            receiver=receiver.name,
            route=item.route,
            audience=audience,
            alerts=facts,
            step=item.step,
            actor=item.actor,
            crew=item.crew,
            link_base=self.config.link_base,
        )

    async def _send(
        self, item: Item, name: str, alerts: list[Alert], held: list[int], now: int
    ) -> None:
        receiver = self.receivers[name]
        message = self.message(item, receiver, alerts)
        alert_id = alerts[0].id if item.kind != "digest" and alerts else None
        try:
            result = await receiver.send(message)
        except SendError as error:
            attempt = Attempt(
                item.id, now, name, False, error.detail, alert_id, item.kind, error.retryable
            )
            self._failing[name] = error.detail[:80]
            if error.retryable and item.attempts + 1 < self._max_attempts:
                due = now + int(self._backoff.delay(item.attempts) * 1000)
                await self._outbox.retry(item.id, due, error.detail, [attempt])
                self._metrics.total.labels(name, "retry").inc()
                log.warning("notify_retry", extra={"item": item.key, "error": error.detail})
                return
            await self._fail(item, now, [attempt], error.detail)
            return
        self._failing.pop(name, None)
        attempt = Attempt(item.id, now, name, True, result, alert_id, item.kind)
        await self._outbox.finish(item.id, ItemState.SENT, result, now, held, [attempt])
        self._metrics.total.labels(name, "sent").inc()
        log.info("notify_sent", extra={"item": item.key, "receiver": name, "kind": item.kind})
        if item.kind == "repeat":
            await self._next_repeat(item, now)

    async def _fail(self, item: Item, now: int, attempts: list[Attempt], detail: str) -> None:
        await self._outbox.finish(item.id, ItemState.FAILED, detail, now, (), attempts)
        self._metrics.total.labels(item.receiver, "failed").inc()
        log.error("notify_failed", extra={"item": item.key, "error": detail})

    async def _next_repeat(self, item: Item, now: int) -> None:
        route = next(
            (
                r
                for i, r in enumerate(self.config.routes)
                if self.config.route_name(i) == item.route
            ),
            None,
        )
        if route is None or route.repeat_ms is None:
            return
        base = item.key.split(">")[0]
        key = base.replace(f":repeat{item.step}:", f":repeat{item.step + 1}:")
        nxt = Planned(
            key,
            "repeat",
            item.receiver,
            now + route.repeat_ms,
            item.alert_id,
            item.route,
            item.step + 1,
        )
        await self._outbox.enqueue([nxt], now)

    # ------------------------------------------------------------------ API side

    async def test(self, name: str) -> Attempt:
        """Send a test message to receiver ``name`` now (logged and counted; not an
        outbox item: it is about no alert)."""
        receiver = self.receivers[name]
        now = self._clock.now_ms()
        item = Item(0, f"test:{name}:{now}", "test", name, now, ItemState.SENDING, now)
        probe = Alert(  # receivers that need an alert (Alertmanager's) get a harmless one
            source_id="LIFELINE-TEST",
            source_kind=SourceKind.GAS_CHANNEL,
            rule="notification_test",
            severity=Severity.WARNING,
            state=AlertState.ACTIVE_UNACKED,
            message="test",
            raised_at_ms=now,
            updated_at_ms=now,
            category=AlertCategory.INFO,
        )
        try:
            result = await receiver.send(self.message(item, receiver, [probe]))
            attempt = Attempt(0, now, name, True, result, None, "test")
        except SendError as error:
            attempt = Attempt(0, now, name, False, error.detail, None, "test", error.retryable)
        self._metrics.total.labels(name, "sent" if attempt.ok else "failed").inc()
        log.info(
            "notify_test", extra={"receiver": name, "ok": attempt.ok, "result": attempt.result}
        )
        return attempt

    def has_receiver(self, name: str) -> bool:
        return name in self.receivers

    def describe_receivers(self) -> list[dict[str, object]]:
        return [receiver.describe() for receiver in self.receivers.values()]

    def describe_routes(self) -> dict[str, object]:
        config = self.config
        return {
            "routes": [
                {"name": config.route_name(i), **msgspec.to_builtins(route)}
                for i, route in enumerate(config.routes)
            ],
            "rosters": [msgspec.to_builtins(roster) for roster in config.rosters],
            "crews": {crew: list(names) for crew, names in config.crews.items()},
            "link_base": config.link_base,
        }

    async def history(self, alert_id: int) -> tuple[list[Item], list[Attempt]]:
        return await self._outbox.history(alert_id)

    async def close(self) -> None:
        for receiver in self.receivers.values():
            await receiver.close()


def build_receivers(config: NotifyConfig) -> dict[str, Receiver]:
    """Every receiver of the file, checked (a fault is a ConfigError naming it)."""
    built: dict[str, Receiver] = {}
    for raw in config.receivers:
        try:
            receiver_config = msgspec.convert(raw, ANY_RECEIVER_CONFIG)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"receiver {raw.get('name')!r}: {exc}") from exc
        built[receiver_config.name] = build_receiver(receiver_config)
    return built
