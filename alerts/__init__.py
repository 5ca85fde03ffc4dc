"""The rule engine and the alert lifecycle.

- ``rules``         the rules file, validated once (``load_rules``)
- ``machines``      the rule types (threshold, events, stuck, deadman, anomaly), one
                    module each, and their registry ``RULE_TYPES``
- ``evaluation``    what a machine says (``Evaluation``) and ``combine``
- ``lifecycle``     pure: the ISA-18.2 alert state machine, with audit entries
- ``engine``        ``AlertEngine``: the ingest sink and ``AlertActions``
- ``open_alerts``   the engine's open alerts and the queries on them
- ``event_time``    the watermark and each feed's clock (display and deadman "now")
- ``snapshot``      per-series rule state and its atomic snapshot file
- ``source_state``  pure: normal | alarm | fault | offline from open alerts
- ``notify_mqtt``   ``MqttNotifier``: AlertEvents to the broker
- ``notify_memory`` ``BroadcastNotifier``: AlertEvents to in-process subscribers
- ``metrics``       Prometheus counters and gauges
"""

from alerts.engine import AlertEngine, EngineOptions
from alerts.metrics import AlertMetrics
from alerts.notify_memory import BroadcastNotifier, Subscription
from alerts.notify_mqtt import MqttNotifier, Publisher
from alerts.rules import RuleSet, load_rules, parse_rules
from alerts.source_state import SourceState, source_state

__all__ = [
    "AlertEngine",
    "AlertMetrics",
    "BroadcastNotifier",
    "EngineOptions",
    "MqttNotifier",
    "Publisher",
    "RuleSet",
    "SourceState",
    "Subscription",
    "load_rules",
    "parse_rules",
    "source_state",
]
