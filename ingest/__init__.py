"""The ingester: MQTT messages of contract v1 in, validated records stored and handed on.

- ``decode``    pure: one message -> records and rejections (every contract rule)
- ``pipeline``  store, dead-letter, hand to the rule engine, publish rejects
- ``service``   the MQTT session: batching, manual acknowledgement, reconnection
- ``metrics``   Prometheus counters and gauges
- ``config``    small config values (MQTT, batching, retry)
"""

from ingest.config import BatchConfig, MqttConfig, RetryConfig
from ingest.decode import Decoded, Rejection, decode_message
from ingest.metrics import IngestMetrics
from ingest.pipeline import Pipeline, Received, RecordSink, RejectPublisher
from ingest.service import IngestService

__all__ = [
    "BatchConfig",
    "Decoded",
    "IngestMetrics",
    "IngestService",
    "MqttConfig",
    "Pipeline",
    "Received",
    "RecordSink",
    "RejectPublisher",
    "Rejection",
    "RetryConfig",
    "decode_message",
]
