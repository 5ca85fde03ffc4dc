"""Side measurements during a run: CPU and memory per process, and backlog.

:class:`ProcessSampler` samples each named process (with its children, e.g. the
embedded broker of ``lifeline up``) once a second with psutil: mean and peak CPU % (of
one core) and peak RSS. :class:`BacklogProbe` scrapes the Lifeline ``/metrics``
endpoints (``lifeline_ingest_in_flight_messages``, ``lifeline_spool_bytes``, rejects)
and follows Mosquitto's ``$SYS/broker/store/messages/count`` (messages the broker holds:
queued for sessions plus in flight), keeping the peaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiomqtt
import httpx
import msgspec
import psutil

from lifeline.mqtt import BrokerAddress

__all__ = ["Backlog", "BacklogProbe", "ProcessSampler", "ProcessStats", "metric_sum"]

log = logging.getLogger(__name__)


class ProcessStats(msgspec.Struct):
    cpu_mean_pct: float = 0.0
    cpu_peak_pct: float = 0.0
    rss_peak_mib: float = 0.0
    samples: int = 0


@dataclass
class ProcessSampler:
    """Samples ``pids()`` (name -> pid; re-read every second, so restarts are followed)."""

    interval_s: float = 1.0
    stats: dict[str, ProcessStats] = field(default_factory=dict)
    _procs: dict[int, list[psutil.Process]] = field(default_factory=dict)
    _primed: set[int] = field(default_factory=set)

    async def run(self, pids: Callable[[], Mapping[str, int]]) -> None:
        while True:
            self._sample(pids())
            await asyncio.sleep(self.interval_s)

    def _tree(self, pid: int) -> list[psutil.Process]:
        procs = self._procs.get(pid)
        if procs is None:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            for proc in procs:
                proc.cpu_percent(None)  # first call primes the counter
            self._procs[pid] = procs
        return procs

    def _sample(self, pids: Mapping[str, int]) -> None:
        for name, pid in pids.items():
            try:
                procs = self._tree(pid)
                cpu = sum(p.cpu_percent(None) for p in procs)
                rss = sum(p.memory_info().rss for p in procs) / (1 << 20)
            except psutil.Error:
                self._procs.pop(pid, None)
                continue
            stat = self.stats.setdefault(name, ProcessStats())
            if pid not in self._primed:  # the first CPU figure of a process means nothing
                self._primed.add(pid)
                continue
            stat.cpu_mean_pct = (stat.cpu_mean_pct * stat.samples + cpu) / (stat.samples + 1)
            stat.cpu_peak_pct = max(stat.cpu_peak_pct, cpu)
            stat.rss_peak_mib = max(stat.rss_peak_mib, rss)
            stat.samples += 1


def metric_sum(text: str, name: str) -> float:
    """Sum of every sample of ``name`` (all label sets) in a Prometheus text page."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            with contextlib.suppress(ValueError, IndexError):
                total += float(line.rsplit(" ", 1)[1])
    return total


class Backlog(msgspec.Struct):
    ingest_in_flight_peak: float = 0.0
    spool_bytes_peak: float = 0.0
    broker_stored_peak: float = 0.0
    broker_stored_last: float = 0.0
    health_failures: int = 0


@dataclass
class BacklogProbe:
    metrics_urls: tuple[str, ...]
    broker: BrokerAddress | None = None
    backlog: Backlog = field(default_factory=Backlog)
    interval_s: float = 0.5

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._scrape())
            if self.broker is not None:
                group.create_task(self._sys())

    async def scrape_once(self, client: httpx.AsyncClient) -> dict[str, float]:
        """Summed over every endpoint: in-flight, spool bytes, rejects; and health."""
        in_flight = spool = rejects = 0.0
        for url in self.metrics_urls:
            with contextlib.suppress(httpx.HTTPError):
                text = (await client.get(f"{url}/metrics")).text
                in_flight += metric_sum(text, "lifeline_ingest_in_flight_messages")
                spool += metric_sum(text, "lifeline_spool_bytes")
                rejects += metric_sum(text, "lifeline_ingest_rejects_total")
                if (await client.get(f"{url}/healthz")).status_code != 200:
                    self.backlog.health_failures += 1
        return {"in_flight": in_flight, "spool_bytes": spool, "rejects": rejects}

    async def _scrape(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                values = await self.scrape_once(client)
                backlog = self.backlog
                backlog.ingest_in_flight_peak = max(
                    backlog.ingest_in_flight_peak, values["in_flight"]
                )
                backlog.spool_bytes_peak = max(backlog.spool_bytes_peak, values["spool_bytes"])
                await asyncio.sleep(self.interval_s)

    async def _sys(self) -> None:
        assert self.broker is not None
        while True:
            try:
                async with aiomqtt.Client(
                    self.broker.host, self.broker.port, identifier="bench-sys"
                ) as client:
                    await client.subscribe("$SYS/broker/store/messages/count")
                    async for message in client.messages:
                        payload = message.payload
                        if isinstance(payload, bytes | bytearray):
                            value = float(payload.decode())
                            self.backlog.broker_stored_last = value
                            self.backlog.broker_stored_peak = max(
                                self.backlog.broker_stored_peak, value
                            )
            except aiomqtt.MqttError:
                await asyncio.sleep(0.5)
