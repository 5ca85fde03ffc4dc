"""Prometheus metrics of the notification centre (``NotifyMetrics.on(registry)``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from lifeline.metrics import MetricSet

__all__ = ["NotifyMetrics"]


class NotifyMetrics(MetricSet):
    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.total = Counter(
            "lifeline_notifications",
            "Notification deliveries by receiver and result (sent, retry, failed, cancelled)",
            ["receiver", "result"],
            registry=registry,
        )
        self.pending = Gauge(
            "lifeline_notifications_pending",
            "Outbox items waiting for their due time or a retry",
            registry=registry,
        )
