"""Prometheus metrics of the durability spool (one spool per process).

Use :meth:`SpoolMetrics.on` to get the single instance of a ``CollectorRegistry``;
tests pass a fresh ``CollectorRegistry()`` and read exact values.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from lifeline.metrics import MetricSet

__all__ = ["SpoolMetrics"]


class SpoolMetrics(MetricSet):
    """Fill level, throughput and store availability of the spool."""

    def __init__(self, registry: CollectorRegistry) -> None:
        """Register new collectors on ``registry``; prefer :meth:`on`."""
        super().__init__(registry)
        self.bytes = Gauge(
            "lifeline_spool_bytes",
            "Bytes spooled and not yet replayed to the telemetry store",
            registry=registry,
        )
        self.max_bytes = Gauge(
            "lifeline_spool_max_bytes",
            "Bound of the spool; writes past it fail (back-pressure on the broker)",
            registry=registry,
        )
        self.fill_ratio = Gauge(
            "lifeline_spool_fill_ratio",
            "lifeline_spool_bytes / lifeline_spool_max_bytes",
            registry=registry,
        )
        self.batches = Gauge(
            "lifeline_spool_batches",
            "Batches spooled and not yet replayed",
            registry=registry,
        )
        self.oldest_age = Gauge(
            "lifeline_spool_oldest_age_seconds",
            "Age of the oldest batch not yet replayed (0 when the spool is empty)",
            registry=registry,
        )
        self.spooled = Counter(
            "lifeline_spool_records_spooled",
            "Records written to the spool because the store was down, slow or behind",
            registry=registry,
        )
        self.replayed = Counter(
            "lifeline_spool_records_replayed",
            "Records replayed from the spool into the telemetry store",
            registry=registry,
        )
        self.rejected = Counter(
            "lifeline_spool_records_rejected",
            "Records refused because the spool was full (not acknowledged, not lost)",
            registry=registry,
        )
        self.dropped_frames = Counter(
            "lifeline_spool_frames_dropped",
            "Spooled batches found corrupt (CRC or decoding) and skipped; each is logged",
            registry=registry,
        )
        self.store_available = Gauge(
            "lifeline_store_available",
            "1 while the last write to the telemetry store succeeded, else 0",
            registry=registry,
        )
