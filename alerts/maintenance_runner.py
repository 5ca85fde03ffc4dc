"""Carrying out maintenance windows on a rule engine's open alerts.

:class:`MaintenanceRunner` keeps the engine's :class:`~alerts.maintenance.MaintenanceSchedule`
fresh (the store's version polled every ``interval_s``, or at once after :meth:`wake`)
and, per window:

- **start** (the window is active): every open alert of its target that can be taken
  out of service is, by the actor ``maintenance`` (``AlertCommand OUT_OF_SERVICE``);
  alerts raised later in the window are raised out of service by the engine's hook.
- **end** (its end passed, or it was cancelled): every out-of-service open alert of its
  target that the maintenance put there — taken out by the actor ``maintenance``, or
  raised suppressed by a window — returns to service, unless another window still
  covers the source. One an operator took out of service stays there.

Each phase is carried out once per ``worker`` (a rule engine: ``lifeline up`` has one, a
scaled-out deployment one per rules worker, each acting on the alerts it owns) and
recorded in the store, so a restart neither repeats nor forgets one. A phase that fails
half-way (a busy store) is retried at the next step; alerts already moved are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final, Protocol

from alerts.maintenance import MaintenanceSchedule
from lifeline.core.alert import Alert, AlertAction, AlertCommand, AlertState
from lifeline.core.errors import NotFoundError, TransitionError
from lifeline.core.maintenance import (
    MAINTENANCE_ACTOR,
    MaintenanceWindow,
    covers,
    window_tag,
)
from lifeline.core.ports import AlertActions, AlertStore, Clock, MaintenanceStore
from lifeline.core.registry import Registry

__all__ = ["ENDED", "STARTED", "MaintenanceRunner", "OpenAlertsView"]

log = logging.getLogger(__name__)

STARTED: Final = "started"
ENDED: Final = "ended"
_TAKEABLE: Final = frozenset(
    {
        AlertState.ACTIVE_UNACKED,
        AlertState.ACTIVE_ACKED,
        AlertState.CLEARED_UNACKED,
        AlertState.SHELVED,
    }
)
_SUPPRESSED_NOTE: Final = "(suppressed: maintenance window #"


class OpenAlertsView(Protocol):
    """The engine's open alerts (``AlertEngine.open``)."""

    def alerts(self) -> list[Alert]: ...


class MaintenanceRunner:
    def __init__(
        self,
        schedule: MaintenanceSchedule,
        store: MaintenanceStore,
        alerts: AlertStore,
        actions: AlertActions,
        open_alerts: OpenAlertsView,
        registry: Registry,
        clock: Clock,
        *,
        worker: str,
        interval_s: float = 2.0,
    ) -> None:
        self._schedule = schedule
        self._store = store
        self._alerts = alerts
        self._actions = actions
        self._open = open_alerts
        self._registry = registry
        self._clock = clock
        self._worker = worker
        self._interval_s = interval_s
        self._done: set[tuple[int, str]] | None = None
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Refresh and step now (an edit was saved in this process)."""
        self._woken.set()

    async def run(self) -> None:
        """Refresh and step every ``interval_s`` (or when woken) until cancelled."""
        while True:
            try:
                await self.step()
            except Exception:  # a store hiccup: keep the schedule we have, try again
                log.exception("maintenance_step_failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._woken.wait()
            self._woken.clear()

    async def step(self) -> None:
        """Refresh the schedule, then carry out every start and end now due."""
        now = self._clock.now_ms()
        await self._schedule.refresh(self._store, now)
        if self._done is None:
            self._done = await self._store.progress(self._worker)
        for window in self._schedule.windows:
            if window.active_at(now) and (window.id, STARTED) not in self._done:
                await self._start(window, now)
            if window.over_at(now) and (window.id, ENDED) not in self._done:
                await self._end(window, now)

    def _covered(self, window: MaintenanceWindow) -> list[Alert]:
        enterprise_of = self._registry.enterprise_of
        return [a for a in self._open.alerts() if covers(window, a.source_id, enterprise_of)]

    async def _start(self, window: MaintenanceWindow, now: int) -> None:
        command = AlertCommand(AlertAction.OUT_OF_SERVICE, MAINTENANCE_ACTOR, window_tag(window))
        moved = 0
        for alert in self._covered(window):
            if alert.state in _TAKEABLE and await self._act(alert, command):
                moved += 1
        await self._mark(window, STARTED, now)
        log.info("maintenance_started", extra={"window": window.id, "alerts": moved})

    async def _end(self, window: MaintenanceWindow, now: int) -> None:
        command = AlertCommand(
            AlertAction.RETURN_TO_SERVICE, MAINTENANCE_ACTOR, f"{window_tag(window)} (over)"
        )
        moved = 0
        for alert in self._covered(window):
            if (
                alert.state is AlertState.OUT_OF_SERVICE
                and self._schedule.window_for(alert.source_id, now, besides=window.id) is None
                and await self._put_there_by_maintenance(alert)
                and await self._act(alert, command)
            ):
                moved += 1
        await self._mark(window, ENDED, now)
        log.info("maintenance_ended", extra={"window": window.id, "alerts": moved})

    async def _put_there_by_maintenance(self, alert: Alert) -> bool:
        """Whether the newest move of ``alert`` into out of service was the maintenance's."""
        for entry in await self._alerts.audit(alert.id, 100):  # newest first
            if entry.to_state is AlertState.OUT_OF_SERVICE and (
                entry.from_state is not AlertState.OUT_OF_SERVICE or entry.action == "raise"
            ):
                return entry.actor == MAINTENANCE_ACTOR or (
                    entry.action == "raise" and _SUPPRESSED_NOTE in (entry.note or "")
                )
        return False

    async def _act(self, alert: Alert, command: AlertCommand) -> bool:
        try:
            await self._actions.act(alert.id, command)
        except (TransitionError, NotFoundError) as exc:  # it moved meanwhile: leave it
            log.info("maintenance_action_skipped", extra={"alert_id": alert.id, "why": str(exc)})
            return False
        return True

    async def _mark(self, window: MaintenanceWindow, phase: str, now: int) -> None:
        await self._store.mark(window.id, self._worker, phase, now)
        assert self._done is not None
        self._done.add((window.id, phase))
