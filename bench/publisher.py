"""Parallel publishers: worker processes, each with several QoS 1 connections.

One process of Python publishes a few thousand messages a second, so a bench run
starts ``workers`` processes (``spawn``), each running :class:`LoadGenerator` share
``worker`` of the traffic over ``connections`` :class:`simulators.publish.MqttPublisher`
connections with a window of ``window`` unacknowledged messages each. A
:class:`RatePlan` paces the records (``None`` = as fast as it goes); a shared counter
reports progress; at the end every message is acknowledged by the broker (the
publisher re-sends what a broken connection lost) and the worker returns its
:class:`bench.load.Tally`. So the tally counts exactly the PUBACKed messages, and a
record the store lacks was acknowledged and lost.

With :class:`Accounts` a worker publishes as the utilities do: each topic over a
connection logged in with its owner's own account (one persistent-session connection,
fixed client id, per utility), which the broker's ACL checks. ``drop_every_s`` makes the
worker wait for every PUBACK and then drop its connections abruptly (socket closed, no
DISCONNECT) and reconnect, again and again: the publisher-disconnect drills.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import multiprocessing.synchronize
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import msgspec

from bench.load import LoadGenerator, Mix, Tally, Traffic
from lifeline.core.registry import Registry
from lifeline.core.topics import (
    gas_event_topic,
    gas_reading_topic,
    meter_reading_topic,
    station_topic,
)
from lifeline.mqtt import BrokerAddress
from simulators.publish import MqttPublisher

__all__ = [
    "Accounts",
    "GatewayPublisher",
    "PublishJob",
    "PublisherPool",
    "RatePlan",
    "RoutedPublisher",
]


@dataclass(frozen=True, slots=True)
class RatePlan:
    """Records/s over time: ``phases`` of (start second, rate or None = unpaced)."""

    phases: tuple[tuple[float, float | None], ...] = ((0.0, None),)

    @classmethod
    def constant(cls, rate: float | None) -> RatePlan:
        return cls(((0.0, rate),))

    def share(self, workers: int) -> RatePlan:
        """This plan divided evenly over ``workers`` publishers."""
        return RatePlan(tuple((t, None if r is None else r / workers) for t, r in self.phases))

    def allowed(self, elapsed_s: float) -> float:
        """Records allowed by ``elapsed_s`` (infinite while a phase is unpaced)."""
        total = 0.0
        for i, (start, rate) in enumerate(self.phases):
            if elapsed_s <= start:
                break
            end = self.phases[i + 1][0] if i + 1 < len(self.phases) else math.inf
            if rate is None:
                if elapsed_s < end:
                    return math.inf
                continue
            total += rate * (min(elapsed_s, end) - start)
        return total


@dataclass(frozen=True, slots=True)
class Accounts:
    """Publishing as the utilities do: each topic as its owner, with the owner's account."""

    addresses: dict[str, BrokerAddress]  # owner -> the broker, logged in as that owner
    owners: dict[str, str]  # topic -> owner

    @classmethod
    def of(
        cls, registry: Registry, broker: BrokerAddress, passwords: Mapping[str, str]
    ) -> Accounts:
        """Routes for the devices of the utilities in ``passwords`` (``{utility: password}``)."""
        owners: dict[str, str] = {}
        for channel in registry.channels.values():
            owners[gas_reading_topic(channel.id)] = channel.owner
            owners[gas_event_topic(channel.id)] = channel.owner
        for station in registry.stations.values():
            owner = registry.enterprises[station.enterprise_id].owner
            owners[station_topic(station.enterprise_id, station.id)] = owner
        for meter in registry.meters.values():
            owners[meter_reading_topic(meter.id)] = meter.owner
        addresses = {
            name: replace(broker, username=name, password=password)
            for name, password in passwords.items()
        }
        return cls(addresses, {t: o for t, o in owners.items() if o in addresses})

    def address(self, topic: str) -> tuple[str, BrokerAddress]:
        """The owner of ``topic`` and the broker address logged in as that owner."""
        owner = self.owners.get(topic)
        if owner is None:
            raise KeyError(f"no account publishes {topic}: its owner is not in the accounts")
        return owner, self.addresses[owner]


class GatewayPublisher(MqttPublisher):
    """:class:`MqttPublisher` that can drop its connection abruptly and come back."""

    async def __aenter__(self) -> GatewayPublisher:
        await super().__aenter__()
        return self

    async def drop(self) -> None:
        """Wait for every PUBACK, close the socket without DISCONNECT, connect again."""
        await self.flush()
        client = self._client
        sock = None if client is None else client._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        await self._disconnect()
        await self._connect()


@dataclass
class RoutedPublisher:
    """One :class:`GatewayPublisher` per utility (opened at its first message); ``async
    with`` flushes and closes them all."""

    accounts: Accounts
    client_prefix: str
    window: int = 500
    timeout_s: float = 300.0  # a last resort: a lost connection fails in flight at once
    connections: dict[str, GatewayPublisher] = field(default_factory=dict)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def __aenter__(self) -> RoutedPublisher:
        await self._stack.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.__aexit__(*exc)  # type: ignore[arg-type]

    async def publish(self, topic: str, payload: bytes) -> None:
        owner, address = self.accounts.address(topic)
        publisher = self.connections.get(owner)
        if publisher is None:
            publisher = GatewayPublisher(
                address,
                client_id=f"{self.client_prefix}-{owner}",
                max_inflight=self.window,
                timeout_s=self.timeout_s,
                clean_session=False,
            )
            await self._stack.enter_async_context(publisher)
            self.connections[owner] = publisher
        await publisher.publish(topic, payload)

    async def drop(self) -> None:
        await asyncio.gather(*(p.drop() for p in self.connections.values()))

    @property
    def reconnects(self) -> int:
        """Reconnections after a failed publish (not counting :meth:`drop`)."""
        return sum(p.reconnects for p in self.connections.values())


@dataclass(frozen=True, slots=True)
class PublishJob:
    broker: BrokerAddress
    traffic: Traffic
    mix: Mix
    worker: int
    workers: int
    duration_s: float
    plan: RatePlan
    connections: int = 2
    window: int = 500
    client_prefix: str = "bench-pub"
    accounts: Accounts | None = None  # publish as the utilities (one connection each)
    drop_every_s: float | None = None  # drop every connection abruptly this often


@dataclass(slots=True)
class WorkerCounters:
    """Shared with the parent: records published, deliberate drops, reconnects."""

    records: Synchronized[int]
    drops: Synchronized[int]
    reconnects: Synchronized[int]


class _Connections:
    """A worker's connections: round-robin anonymous ones, or one per utility."""

    def __init__(self, job: PublishJob, stack: contextlib.AsyncExitStack) -> None:
        self._job = job
        self._stack = stack
        self._plain: list[GatewayPublisher] = []
        self._routed: RoutedPublisher | None = None

    async def open(self) -> None:
        job = self._job
        prefix = f"{job.client_prefix}-{job.worker}"
        if job.accounts is not None:
            routed = RoutedPublisher(job.accounts, prefix, job.window)
            self._routed = await self._stack.enter_async_context(routed)
            return
        for c in range(job.connections):
            publisher = GatewayPublisher(
                job.broker, client_id=f"{prefix}-{c}", max_inflight=job.window
            )
            self._plain.append(await self._stack.enter_async_context(publisher))

    async def publish(self, n: int, topic: str, payload: bytes) -> None:
        if self._routed is not None:
            await self._routed.publish(topic, payload)
        else:
            await self._plain[n % len(self._plain)].publish(topic, payload)

    async def drop(self) -> None:
        if self._routed is not None:
            await self._routed.drop()
        await asyncio.gather(*(p.drop() for p in self._plain))

    @property
    def reconnects(self) -> int:
        routed = 0 if self._routed is None else self._routed.reconnects
        return routed + sum(p.reconnects for p in self._plain)


async def _publish(
    job: PublishJob, counters: WorkerCounters, stop: multiprocessing.synchronize.Event
) -> Tally:
    tally = Tally()
    generator = LoadGenerator(job.traffic, job.mix, job.worker, job.workers)
    async with contextlib.AsyncExitStack() as stack:
        connections = _Connections(job, stack)
        await connections.open()
        began = last_drop = time.monotonic()
        records = 0
        for n, message in enumerate(generator):
            elapsed = time.monotonic() - began
            if elapsed >= job.duration_s or stop.is_set():
                break
            while records >= job.plan.allowed(elapsed):
                await asyncio.sleep(0.002)
                elapsed = time.monotonic() - began
            if job.drop_every_s is not None and time.monotonic() - last_drop >= job.drop_every_s:
                await connections.drop()
                last_drop = time.monotonic()
                counters.drops.value += 1
            await connections.publish(n, message.topic, message.payload)
            tally.add(message.kind, message.records, message.checksum)
            records += message.records
            if n % 64 == 0:
                counters.records.value = records
                counters.reconnects.value = connections.reconnects
                await asyncio.sleep(0)
        counters.records.value = records
        # leaving the stack flushes: every message is acknowledged by the broker
    counters.reconnects.value = connections.reconnects
    return tally


def worker_main(
    job: PublishJob,
    counters: WorkerCounters,
    go: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
    results: multiprocessing.Queue[bytes],
) -> None:
    """Entry point of one publisher process."""
    go.wait()
    tally = asyncio.run(_publish(job, counters, stop))
    results.put(msgspec.msgpack.encode(tally))


class PublisherPool:
    """Starts the publisher processes, reports progress, collects the tallies."""

    def __init__(self, jobs: list[PublishJob]) -> None:
        context = multiprocessing.get_context("spawn")
        self._go = context.Event()
        self._stop = context.Event()
        self._results: multiprocessing.Queue[bytes] = context.Queue()
        self._counters = [
            WorkerCounters(context.Value("q", 0), context.Value("q", 0), context.Value("q", 0))
            for _ in jobs
        ]
        self._processes: list[Any] = [
            context.Process(
                target=worker_main,
                args=(job, counter, self._go, self._stop, self._results),
                name=f"bench-publisher-{job.worker}",
                daemon=True,
            )
            for job, counter in zip(jobs, self._counters, strict=True)
        ]
        for process in self._processes:
            process.start()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def go(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._stop.set()

    @property
    def published(self) -> int:
        """Records handed to the connections so far (acknowledged by the end)."""
        return sum(counter.records.value for counter in self._counters)

    @property
    def drops(self) -> int:
        """Deliberate abrupt disconnects (``drop_every_s``) so far."""
        return sum(counter.drops.value for counter in self._counters)

    @property
    def reconnects(self) -> int:
        """Reconnections after a failed publish (resending what was not acknowledged)."""
        return sum(counter.reconnects.value for counter in self._counters)

    async def results(self, timeout_s: float = 300.0) -> Tally:
        """Wait for every worker; the merged tally of what they published."""
        total = Tally()
        deadline = time.monotonic() + timeout_s
        for _ in self._processes:
            remaining = deadline - time.monotonic()
            raw = await asyncio.to_thread(self._results.get, True, max(remaining, 0.1))
            total.merge(msgspec.msgpack.decode(raw, type=Tally))
        for process in self._processes:
            await asyncio.to_thread(process.join, 10)
        return total

    def terminate(self) -> None:
        self._stop.set()
        self._go.set()
        for process in self._processes:
            if process.is_alive():
                process.terminate()
