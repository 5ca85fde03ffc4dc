"""End-to-end alert latency: inject alarms over MQTT, watch them arrive on the SSE stream.

:class:`AlertWatcher` reads ``GET /api/v1/alerts/stream`` and notes when the first event
of each alert arrives. :class:`AlarmInjector` publishes ``lel_pct 60`` on one fresh
alarm channel at a time (``rate`` per second), each a new alert, and remembers when.
Latency = first SSE event of that channel's alert - the moment just before publishing.
Afterwards :meth:`AlarmInjector.verdict` says which alarms got no alert (lost) and which
got more than one (duplicated), counting the alert ids on the stream and in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx
import msgspec

from bench.api_auth import api_headers
from bench.load import Kind, Tally, alarm_payload
from lifeline.mqtt import BrokerAddress
from simulators.publish import MqttPublisher, Publisher

__all__ = ["AlarmInjector", "AlarmVerdict", "AlertWatcher", "percentiles"]

log = logging.getLogger(__name__)


class _Event(msgspec.Struct):
    id: int
    source_id: str
    state: str


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50/p95/p99/max (nearest rank) of ``samples_ms``; empty -> {}."""
    if not samples_ms:
        return {}
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return round(ordered[index], 1)

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": round(ordered[-1], 1)}


@dataclass
class AlertWatcher:
    """Collects alert ids per source from the live stream (run :meth:`run` as a task)."""

    api_url: str
    first_seen: dict[str, float] = field(default_factory=dict)  # source -> monotonic
    ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    reconnects: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def all_seen(self, sources: set[str]) -> None:
        """Return once every one of ``sources`` has had an alert event."""
        while not sources.issubset(self.first_seen):
            self._changed.clear()
            await self._changed.wait()

    async def run(self) -> None:
        decoder = msgspec.json.Decoder(_Event)
        while True:
            try:
                async with (
                    httpx.AsyncClient(
                        timeout=httpx.Timeout(10, read=None), headers=api_headers()
                    ) as client,
                    client.stream("GET", f"{self.api_url}/api/v1/alerts/stream") as response,
                ):
                    response.raise_for_status()
                    self.connected.set()
                    async for line in response.aiter_lines():
                        if line.startswith("data:"):
                            event = decoder.decode(line[5:].strip())
                            self.first_seen.setdefault(event.source_id, time.monotonic())
                            self.ids[event.source_id].add(event.id)
                            self._changed.set()
            except (httpx.HTTPError, msgspec.DecodeError) as error:
                log.debug("bench_stream_reconnect", extra={"error": str(error)})
            self.reconnects += 1
            await asyncio.sleep(0.2)


@dataclass(frozen=True, slots=True)
class AlarmVerdict:
    injected: int
    alerted: int
    lost: list[str]
    duplicated: list[str]
    latency_ms: dict[str, float]
    latency_in_window_ms: dict[str, float]


@dataclass
class AlarmInjector:
    """Publishes one alarm per channel of ``channels`` at ``rate`` per second."""

    broker: BrokerAddress
    channels: tuple[str, ...]
    watcher: AlertWatcher
    ts_now: Callable[[], int]  # event time of the next alarm (the stream's current ts)
    rate: float = 4.0
    sent: dict[str, float] = field(default_factory=dict)  # channel -> monotonic
    tally: Tally = field(default_factory=Tally)
    # how to publish; None: one anonymous connection to ``broker`` (as each utility: the
    # bench passes bench.publisher.RoutedPublisher)
    connect: Callable[[], AbstractAsyncContextManager[Publisher]] | None = None

    def _publisher(self) -> AbstractAsyncContextManager[Publisher]:
        if self.connect is not None:
            return self.connect()
        return MqttPublisher(self.broker, client_id="bench-alarms", max_inflight=50)

    async def run(self, stop: asyncio.Event) -> None:
        async with self._publisher() as pub:
            for channel in self.channels:
                if stop.is_set():
                    break
                message = alarm_payload(channel, self.ts_now())
                self.sent[channel] = time.monotonic()
                await pub.publish(message.topic, message.payload)
                self.tally.add(Kind.GAS, 1, message.checksum)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1 / self.rate)

    async def verdict(
        self, timeout_s: float = 20.0, window: tuple[float, float] | None = None
    ) -> AlarmVerdict:
        """Wait (up to ``timeout_s``) for every alarm's alert, then judge; with ``window``
        (monotonic start, end) the latency of alarms sent inside it is also reported."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.watcher.all_seen(set(self.sent)), timeout_s)
        await asyncio.sleep(0.5)  # a duplicate would come right after
        stored = await self._stored_alerts()
        latencies: list[float] = []
        in_window: list[float] = []
        lost: list[str] = []
        duplicated: list[str] = []
        for channel, sent in self.sent.items():
            seen = self.watcher.first_seen.get(channel)
            ids = self.watcher.ids.get(channel, set()) | stored.get(channel, set())
            if seen is None and not ids:
                lost.append(channel)
                continue
            if len(ids) > 1:
                duplicated.append(channel)
            if seen is not None:
                latencies.append((seen - sent) * 1000)
                if window is not None and window[0] <= sent <= window[1]:
                    in_window.append((seen - sent) * 1000)
        return AlarmVerdict(
            injected=len(self.sent),
            alerted=len(self.sent) - len(lost),
            lost=lost,
            duplicated=duplicated,
            latency_ms=percentiles(latencies),
            latency_in_window_ms=percentiles(in_window),
        )

    async def _stored_alerts(self) -> dict[str, set[int]]:
        """gas_leak alert ids per alarm channel, from the alert store through the API."""
        out: dict[str, set[int]] = defaultdict(set)
        async with httpx.AsyncClient(
            base_url=self.watcher.api_url, timeout=30, headers=api_headers()
        ) as api:
            offset = 0
            while True:
                params: dict[str, str | int] = {"limit": 500, "offset": offset}
                response = await api.get("/api/v1/alerts", params=params)
                if response.status_code != 200:
                    return out
                items = response.json()["items"]
                for item in items:
                    if item["source_id"] in self.sent and item["rule"] == "gas_leak":
                        out[item["source_id"]].add(int(item["id"]))
                if len(items) < 500:
                    return out
                offset += len(items)
