"""Prometheus metrics of the ingester.

:class:`IngestMetrics` registers its collectors on one ``CollectorRegistry``. Use
:meth:`IngestMetrics.on` to get the (single) instance of a registry, so building the
service twice in one process never raises "Duplicated timeseries"; tests pass a fresh
``CollectorRegistry()`` and read exact values.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from lifeline.metrics import MetricSet

__all__ = ["IngestMetrics"]

_WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class IngestMetrics(MetricSet):
    """Counters and gauges of one ingester (see module docstring for sharing)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Register new collectors on ``registry``; prefer :meth:`on`."""
        super().__init__(registry)
        self.messages = Counter(
            "lifeline_ingest_messages",
            "Inbound MQTT messages processed",
            registry=registry,
        )
        self.records = Counter(
            "lifeline_ingest_records",
            "Records accepted and stored, by record kind",
            ["kind"],
            registry=registry,
        )
        self.rejects = Counter(
            "lifeline_ingest_rejects",
            "Messages or records rejected, by reason code",
            ["reason"],
            registry=registry,
        )
        self.write_seconds = Histogram(
            "lifeline_ingest_batch_write_seconds",
            "Latency of one telemetry store write of a batch",
            buckets=_WRITE_BUCKETS,
            registry=registry,
        )
        self.write_failures = Counter(
            "lifeline_ingest_write_failures",
            "Failed store, dead-letter or sink calls (each is retried)",
            ["target"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "lifeline_ingest_in_flight_messages",
            "Messages received but not yet acknowledged to the broker",
            registry=registry,
        )
        self.connected = Gauge(
            "lifeline_ingest_connected",
            "1 while the ingester is connected and subscribed to the broker",
            registry=registry,
        )
