"""MQTT plumbing shared by the services.

- ``address``    broker URLs (``mqtt[s]://``) and the one place aiomqtt clients are built
- ``consumer``   the one consumer: a persistent QoS 1 session with manual acknowledgements
- ``publisher``  :class:`AlertPublisher`, an outbound QoS 1 publisher with a bounded outbox
- ``inbox``      reading messages with a timeout that never drops one
"""

from lifeline.mqtt.address import BrokerAddress, parse_mqtt_url
from lifeline.mqtt.consumer import ConsumerSession, ManualAckConsumer, SessionOptions
from lifeline.mqtt.inbox import Inbox
from lifeline.mqtt.publisher import AlertPublisher

__all__ = [
    "AlertPublisher",
    "BrokerAddress",
    "ConsumerSession",
    "Inbox",
    "ManualAckConsumer",
    "SessionOptions",
    "parse_mqtt_url",
]
