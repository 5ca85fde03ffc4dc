"""The embedded broker's defences against hostile and careless clients (amqtt 0.12.1).

- :class:`PacketSizeLimit` wraps a connection's reader: it follows the MQTT framing of
  every byte amqtt reads and, as soon as a fixed header announces a packet larger than
  :data:`MAX_PACKET_BYTES` (1 MiB, four times contract v1.1's 256 KiB payload), refuses
  it *before its body is read*: the connection is closed, as Mosquitto's
  ``max_packet_size`` does for MQTT 3.1.1 clients. Such a message never reaches the
  ingester, so it cannot be dead-lettered or reported on the rejects topic: it is counted
  in ``lifeline_broker_oversized_total`` and logged (one line per packet). A payload over
  256 KiB but within 1 MiB (a batch a little too large) is still read, PUBACKed and
  rejected as ``oversized`` with a reason (first 4 KiB dead-lettered): the utility learns
  why, and its session is not stuck resending a message that cuts its connection.
- :class:`OffLoopFileAuthPlugin` is amqtt's ``FileAuthPlugin`` with the Argon2 check run
  in a worker thread (never on the broker's event loop) and a cache of successful
  verifications: a reconnect storm of legitimate clients costs no hashing.
- :class:`ConnectThrottle`: after ``max_failures`` refused CONNECTs from one address
  within ``window_s``, further CONNECTs from it are refused without hashing for a time
  that doubles with every new lockout (up to ``max_block_s``). A client whose exact
  credentials were verified before is still let in: an attacker sharing a legitimate
  client's address cannot lock that client out.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from amqtt.adapters import ReaderAdapter
from amqtt.plugins.authentication import FileAuthPlugin
from prometheus_client import CollectorRegistry, Counter

from lifeline.core.payloads import MAX_PAYLOAD_BYTES
from lifeline.metrics import MetricSet

__all__ = [
    "MAX_PACKET_BYTES",
    "BrokerGuardMetrics",
    "ConnectThrottle",
    "OffLoopFileAuthPlugin",
    "OversizedPacketError",
    "PacketSizeLimit",
]

log = logging.getLogger("lifeline.broker")

# A PUBLISH's remaining length is 2 + topic + 2 (packet id) + payload. Up to this bound
# an oversized payload reaches the ingester (rejected `oversized`, reported, first 4 KiB
# dead-lettered); memory per connection stays bounded by it.
MAX_PACKET_BYTES: Final = 4 * MAX_PAYLOAD_BYTES


class BrokerGuardMetrics(MetricSet):
    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__(registry)
        self.oversized = Counter(
            "lifeline_broker_oversized_total",
            "MQTT packets the embedded broker refused (connection closed) for their size",
            registry=registry,
        )
        self.connects_refused = Counter(
            "lifeline_broker_connect_refused_total",
            "CONNECTs the embedded broker refused, by reason",
            ["reason"],
            registry=registry,
        )


class OversizedPacketError(Exception):
    """A packet announced more than the limit: the connection is closed unread."""


class PacketSizeLimit(ReaderAdapter):  # type: ignore[misc]
    """A reader that refuses a packet whose fixed header announces more than ``limit``."""

    def __init__(self, inner: ReaderAdapter, limit: int, peer: str) -> None:
        self._inner = inner
        self._limit = limit
        self._peer = peer
        self._body_left = 0  # bytes of the current packet's body not read yet
        self._in_header = False  # the first byte of a fixed header has been read
        self._packet_type = 0
        self._length = 0
        self._multiplier = 1

    async def read(self, n: int = -1) -> bytes:
        data: bytes = await self._inner.read(n)
        self._follow(data)
        return data

    def feed_eof(self) -> None:
        self._inner.feed_eof()

    def _follow(self, data: bytes) -> None:
        at = 0
        while at < len(data):
            if self._body_left:
                step = min(self._body_left, len(data) - at)
                self._body_left -= step
                at += step
                continue
            byte = data[at]
            at += 1
            if not self._in_header:
                self._in_header, self._packet_type = True, byte >> 4
                self._length, self._multiplier = 0, 1
                continue
            self._length += (byte & 0x7F) * self._multiplier
            self._multiplier *= 128
            if byte & 0x80:
                continue
            self._in_header = False
            if self._length > self._limit:
                self._refuse()
            self._body_left = self._length

    def _refuse(self) -> None:
        BrokerGuardMetrics.on().oversized.inc()
        log.warning(
            "broker_packet_oversized",
            extra={
                "peer": self._peer,
                "packet_type": self._packet_type,
                "bytes": self._length,
                "limit": self._limit,
            },
        )
        raise OversizedPacketError(f"packet of {self._length} bytes over {self._limit}")


def _digest(password: str) -> bytes:
    return hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest()


class OffLoopFileAuthPlugin(FileAuthPlugin):  # type: ignore[misc]
    """``FileAuthPlugin`` hashing in a thread, with a cache of verified credentials."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        # user -> (stored hash, sha256 of the password that verified against it)
        self._verified: dict[str, tuple[str, bytes]] = {}
        self._hashing = asyncio.Semaphore(2)  # a flood never takes every core
        self.throttle = ConnectThrottle()

    def known(self, username: str | None, password: str | None) -> bool:
        """Whether exactly these credentials verified before (no hashing)."""
        if not username:
            return False
        stored = self._users.get(username)
        cached = self._verified.get(username)
        return (
            stored is not None
            and cached is not None
            and cached[0] == stored
            and hmac.compare_digest(cached[1], _digest(password or ""))
        )

    async def authenticate(self, *, session: Any) -> bool | None:
        if not await super(FileAuthPlugin, self).authenticate(session=session):
            return False
        if not session.username:
            return None
        password = session.password or ""
        if self.known(session.username, password):
            return True
        address = str(session.remote_address)
        if self.throttle.blocked(address):
            BrokerGuardMetrics.on().connects_refused.labels("throttled").inc()
            return False
        stored = self._users.get(session.username)
        ok = False
        if stored:
            async with self._hashing:
                ok = bool(await asyncio.to_thread(self.pwd_hasher.verify, password, stored))
        if ok and stored:
            self._verified[session.username] = (stored, _digest(password))
        else:
            BrokerGuardMetrics.on().connects_refused.labels("bad_credentials").inc()
            self.throttle.failed(address)
        return ok


@dataclass
class _Address:
    failures: list[float] = field(default_factory=list)
    blocked_until: float = 0.0
    lockouts: int = 0


@dataclass
class ConnectThrottle:
    """Per-address CONNECT failures and exponentially growing lockouts."""

    max_failures: int = 5
    window_s: float = 60.0
    first_block_s: float = 10.0
    max_block_s: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _addresses: dict[str, _Address] = field(default_factory=dict)

    def blocked(self, address: str) -> bool:
        entry = self._addresses.get(address)
        return entry is not None and self.clock() < entry.blocked_until

    def failed(self, address: str) -> None:
        now = self.clock()
        entry = self._addresses.setdefault(address, _Address())
        if entry.lockouts and now - entry.blocked_until > self.max_block_s:
            entry.lockouts = 0  # quiet for long enough: start over
        entry.failures = [t for t in entry.failures if now - t < self.window_s] + [now]
        if len(entry.failures) >= self.max_failures:
            block = min(self.max_block_s, self.first_block_s * 2**entry.lockouts)
            entry.blocked_until = now + block
            entry.lockouts += 1
            entry.failures.clear()
            log.warning("broker_connect_throttled", extra={"peer": address, "blocked_s": block})
        self._forget_stale(now)

    def _forget_stale(self, now: float) -> None:
        if len(self._addresses) < 10_000:
            return
        horizon = self.max_block_s + self.window_s
        for address in [
            a
            for a, e in self._addresses.items()
            if now - max(e.blocked_until, *e.failures, 0.0) > horizon
        ]:
            del self._addresses[address]
