"""Prometheus metrics of the rule engine.

:class:`AlertMetrics` registers its collectors on one ``CollectorRegistry``; use
:meth:`AlertMetrics.on` to get the single instance of a registry (building two engines
in one process never raises "Duplicated timeseries"). Tests pass a fresh registry.
"""

from __future__ import annotations

import threading
import weakref
from typing import ClassVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

__all__ = ["AlertMetrics"]


class AlertMetrics:
    _instances: ClassVar[weakref.WeakKeyDictionary[CollectorRegistry, AlertMetrics]] = (
        weakref.WeakKeyDictionary()
    )
    _lock: ClassVar = threading.Lock()

    def __init__(self, registry: CollectorRegistry) -> None:
        """Register new collectors on ``registry``; prefer :meth:`on`."""
        self.registry = registry
        self.raised = Counter(
            "lifeline_alerts_raised",
            "Alerts raised (new alerts), by rule and severity",
            ["rule", "severity"],
            registry=registry,
        )
        self.cleared = Counter(
            "lifeline_alerts_cleared",
            "Alert conditions cleared by their rule, by rule and severity",
            ["rule", "severity"],
            registry=registry,
        )
        self.transitions = Counter(
            "lifeline_alert_transitions",
            "Audited alert transitions, by action",
            ["action"],
            registry=registry,
        )
        self.open = Gauge(
            "lifeline_alerts_open",
            "Open (not closed) alerts, by severity",
            ["severity"],
            registry=registry,
        )
        self.notifier_failures = Counter(
            "lifeline_alert_notifier_failures",
            "Notifier calls that failed or timed out, by notifier class",
            ["notifier"],
            registry=registry,
        )
        self.snapshot_failures = Counter(
            "lifeline_alert_snapshot_failures",
            "Failed writes of the rule-state snapshot",
            registry=registry,
        )

    @classmethod
    def on(cls, registry: CollectorRegistry | None = None) -> AlertMetrics:
        """The metrics registered on ``registry`` (default: the global REGISTRY)."""
        target = REGISTRY if registry is None else registry
        with cls._lock:
            existing = cls._instances.get(target)
            if existing is None:
                existing = cls(target)
                cls._instances[target] = existing
            return existing
