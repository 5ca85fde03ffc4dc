"""Where and as whom to connect: broker URLs and the one place aiomqtt clients are built."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiomqtt

from lifeline.core.errors import ConfigError

__all__ = ["BrokerAddress", "parse_mqtt_url"]


@dataclass(frozen=True)
class BrokerAddress:
    """Where and as whom to connect. ``tls``: verify the broker's certificate against
    ``ca_file`` (or the system's CAs when None) and its host name."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None

    def client(self, identifier: str, **options: Any) -> aiomqtt.Client:
        """An aiomqtt client for this broker: address, credentials and TLS in one place,
        so no connection of ours can forget one of them. ``options`` go to aiomqtt
        (``clean_session``, ``max_inflight_messages``, ``timeout`` ...)."""
        return aiomqtt.Client(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            identifier=identifier,
            tls_context=self.tls_context(),
            **options,
        )

    def tls_context(self) -> ssl.SSLContext | None:
        """A fresh client TLS context (aiomqtt ``tls_context=``), or None for plain TCP."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` or ``mqtts://[user:pass@]host[:port][?ca_file=PATH]``
    (TLS, port 8883 by default) into its parts."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(
            f"bad MQTT url {url!r}: expected mqtt[s]://[user:pass@]host[:port][?ca_file=PATH]"
        )
    tls = parts.scheme == "mqtts"
    query = parse_qs(parts.query)
    if set(query) - {"ca_file"} or (query and not tls):
        raise ConfigError(f"bad MQTT url {url!r}: the only option is ca_file, with mqtts://")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        ca_file=query["ca_file"][-1] if "ca_file" in query else None,
    )
