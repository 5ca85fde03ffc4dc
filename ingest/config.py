"""Small configuration values of the ingester, validated on construction.

:class:`MqttConfig` says where and as whom to connect, :class:`BatchConfig` how records
are grouped into store writes, :class:`RetryConfig` how failures are retried. Each has
``from_settings`` to build it from :class:`lifeline.settings.Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from lifeline.backoff import Backoff
from lifeline.core.errors import ConfigError
from lifeline.core.topics import DEFAULT_PREFIX
from lifeline.mqtt import BrokerAddress, parse_mqtt_url
from lifeline.settings import Settings

__all__ = ["PUBLISHER_PROPERTY", "BatchConfig", "MqttConfig", "RetryConfig"]

# The MQTT 5 user property a stamping broker sets to the publishing account.
PUBLISHER_PROPERTY: Final = "lifeline-publisher"


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Broker address and the ingester's persistent-session identity.

    ``mqtt5`` subscribes with MQTT 5 (persistent session = clean start off plus a
    session expiry of ``session_expiry_s``); MQTT 3.1.1 (``clean_session=False``) is
    the default and all amqtt speaks. ``publisher_property`` names the MQTT 5 user
    property that carries the publishing account; set it only behind a broker that
    stamps it and overwrites any value a client sends (EMQX with the rule in
    docs/security.md): the ingester then rejects messages for devices that account
    does not own (``not_owner``). ``tls`` verifies the broker against ``ca_file``.
    """

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    client_id: str = "lifeline-ingest"
    prefix: str = DEFAULT_PREFIX
    keepalive_s: int = 30
    shared_group: str | None = None  # several workers: $share/<group>/<filter>
    tls: bool = False
    ca_file: str | None = None
    mqtt5: bool = False
    session_expiry_s: int = 14 * 86_400  # Mosquitto's persistent_client_expiration
    publisher_property: str | None = None  # e.g. PUBLISHER_PROPERTY, with mqtt5

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"MQTT port {self.port} is out of range")
        if not self.client_id:
            raise ConfigError("the ingester needs a fixed MQTT client id (persistent session)")
        if self.publisher_property is not None and not self.mqtt5:
            raise ConfigError("publisher_property needs mqtt5 (user properties are MQTT 5)")
        if self.session_expiry_s < 1:
            raise ConfigError("session_expiry_s must be positive (a persistent session)")

    def address(self) -> BrokerAddress:
        return BrokerAddress(
            self.host, self.port, self.username, self.password, self.tls, self.ca_file
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> MqttConfig:
        """``mqtt_url`` (``mqtt[s]://[user:pass@]host:port``) wins over host/port settings."""
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        address = BrokerAddress(
            settings.mqtt_host, settings.mqtt_port, settings.mqtt_username, password
        )
        if settings.mqtt_url:
            url = parse_mqtt_url(settings.mqtt_url)
            address = replace(
                url,
                username=url.username or settings.mqtt_username,
                password=url.password if url.username else password,
            )
        return cls(
            address.host,
            address.port,
            address.username,
            address.password,
            settings.mqtt_client_id,
            settings.topic_prefix,
            tls=address.tls,
            ca_file=address.ca_file,
        )


@dataclass(frozen=True, slots=True)
class BatchConfig:
    """A batch is flushed at ``max_records`` records or ``flush_ms`` after its first."""

    max_records: int = 1000
    flush_ms: int = 50

    def __post_init__(self) -> None:
        if self.max_records < 1 or self.flush_ms < 1:
            raise ConfigError("batch max_records and flush_ms must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchConfig:
        return cls(settings.store_batch_size, settings.store_flush_ms)


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Exponential backoff between ``initial_s`` and ``max_s`` (with jitter).

    Store, dead-letter and sink (rule engine) calls are all retried until they succeed:
    a message is acknowledged only once its records are stored and handed on.
    """

    initial_s: float = 0.1
    max_s: float = 10.0

    def __post_init__(self) -> None:
        if not 0 < self.initial_s <= self.max_s:
            raise ConfigError("need 0 < initial_s <= max_s")

    def backoff(self) -> Backoff:
        return Backoff(self.initial_s, self.max_s)
