"""Prometheus metrics of the rule engine.

:class:`AlertMetrics` registers its collectors on one ``CollectorRegistry``; use
:meth:`AlertMetrics.on` to get the single instance of a registry (building two engines
in one process never raises "Duplicated timeseries"). Tests pass a fresh registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from lifeline.metrics import MetricSet

__all__ = ["AlertMetrics"]


class AlertMetrics(MetricSet):
    def __init__(self, registry: CollectorRegistry) -> None:
        """Register new collectors on ``registry``; prefer :meth:`on`."""
        super().__init__(registry)
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
        self.store_retries = Counter(
            "lifeline_alert_store_retries",
            "Alert store writes of the data path retried (busy or unavailable store)",
            registry=registry,
        )
        self.evaluation_failures = Counter(
            "lifeline_alert_evaluation_failures",
            "Records whose rule evaluation raised a bug (logged; the other records go on)",
            registry=registry,
        )
        self.snapshot_failures = Counter(
            "lifeline_alert_snapshot_failures",
            "Failed writes of the rule-state snapshot",
            registry=registry,
        )
