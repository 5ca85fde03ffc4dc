"""Parallel publishers: worker processes, each with several QoS 1 connections.

One process of Python publishes a few thousand messages a second, so a bench run
starts ``workers`` processes (``spawn``), each running :class:`LoadGenerator` share
``worker`` of the traffic over ``connections`` :class:`simulators.publish.MqttPublisher`
connections with a window of ``window`` unacknowledged messages each. A
:class:`RatePlan` paces the records (``None`` = as fast as it goes); a shared counter
reports progress; at the end every message is acknowledged by the broker (the
publisher re-sends what a broken connection lost) and the worker returns its
:class:`bench.load.Tally`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import multiprocessing.synchronize
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import msgspec

from bench.load import LoadGenerator, Mix, Tally, Traffic
from lifeline.mqtt import BrokerAddress
from simulators.publish import MqttPublisher

__all__ = ["PublishJob", "PublisherPool", "RatePlan"]


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


async def _publish(
    job: PublishJob, counter: Synchronized[int], stop: multiprocessing.synchronize.Event
) -> Tally:
    tally = Tally()
    generator = LoadGenerator(job.traffic, job.mix, job.worker, job.workers)
    async with contextlib.AsyncExitStack() as stack:
        publishers = [
            await stack.enter_async_context(
                MqttPublisher(
                    job.broker,
                    client_id=f"{job.client_prefix}-{job.worker}-{c}",
                    max_inflight=job.window,
                    timeout_s=15.0,
                )
            )
            for c in range(job.connections)
        ]
        began = time.monotonic()
        records = 0
        for n, message in enumerate(generator):
            elapsed = time.monotonic() - began
            if elapsed >= job.duration_s or stop.is_set():
                break
            while records >= job.plan.allowed(elapsed):
                await asyncio.sleep(0.002)
                elapsed = time.monotonic() - began
            await publishers[n % len(publishers)].publish(message.topic, message.payload)
            tally.add(message.kind, message.records, message.checksum)
            records += message.records
            if n % 64 == 0:
                counter.value = records
                await asyncio.sleep(0)
        counter.value = records
        # leaving the stack flushes: every message is acknowledged by the broker
    return tally


def worker_main(
    job: PublishJob,
    counter: Synchronized[int],
    go: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
    results: multiprocessing.Queue[bytes],
) -> None:
    """Entry point of one publisher process."""
    go.wait()
    tally = asyncio.run(_publish(job, counter, stop))
    results.put(msgspec.msgpack.encode(tally))


class PublisherPool:
    """Starts the publisher processes, reports progress, collects the tallies."""

    def __init__(self, jobs: list[PublishJob]) -> None:
        context = multiprocessing.get_context("spawn")
        self._go = context.Event()
        self._stop = context.Event()
        self._results: multiprocessing.Queue[bytes] = context.Queue()
        self._counters: list[Synchronized[int]] = [context.Value("q", 0) for _ in jobs]
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
        return sum(counter.value for counter in self._counters)

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
