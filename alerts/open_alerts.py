"""The engine's open alerts, and the queries read from them in process.

One open alert per ``(source_id, rule)``, indexed by key and by id; which of them have
repeats not yet written (``dirty``: a repeat is no transition, so it is written in
bulk, not at once); the open-alerts gauge. The queries (:meth:`OpenAlerts.alerts`,
:meth:`alerts_of`, :meth:`source_state`) are what an in-process view reads without a
store round trip.
"""

from __future__ import annotations

from alerts.metrics import AlertMetrics
from alerts.source_state import SourceState, source_state
from lifeline.core.alert import Alert, AlertCategory, Severity
from lifeline.core.registry import Registry

__all__ = ["Key", "OpenAlerts"]

Key = tuple[str, str]  # (source_id, rule name)


class OpenAlerts:
    def __init__(self, registry: Registry, metrics: AlertMetrics) -> None:
        self._registry = registry
        self._metrics = metrics
        self._open: dict[Key, Alert] = {}
        self._by_id: dict[int, Key] = {}
        self.dirty: set[Key] = set()

    def __contains__(self, key: Key) -> bool:
        return key in self._open

    def has(self, source_id: str, rule: str) -> bool:
        return (source_id, rule) in self._open

    def get(self, key: Key) -> Alert | None:
        return self._open.get(key)

    def key_of(self, alert_id: int) -> Key | None:
        return self._by_id.get(alert_id)

    def clear(self) -> None:
        self._open.clear()
        self._by_id.clear()
        self.dirty.clear()

    def remember(self, alert: Alert) -> None:
        key = (alert.source_id, alert.rule)
        self._open[key] = alert
        self._by_id[alert.id] = key

    def repeat(self, key: Key, alert: Alert) -> None:
        """An update that is no transition: kept here, written later."""
        self._open[key] = alert
        self.dirty.add(key)

    def forget(self, key: Key, alert_id: int) -> None:
        self._open.pop(key, None)
        self._by_id.pop(alert_id, None)
        self.dirty.discard(key)

    def count_gauge(self) -> None:
        counts = dict.fromkeys(Severity, 0)
        for alert in self._open.values():
            counts[alert.severity] += 1
        for severity, count in counts.items():
            self._metrics.open.labels(severity.value).set(count)

    # ------------------------------------------------------------------ queries

    def alerts(self) -> list[Alert]:
        return list(self._open.values())

    def items(self) -> list[tuple[Key, Alert]]:
        return list(self._open.items())

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
