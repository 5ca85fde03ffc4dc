"""One variant on one mix: warm up, publish, count in InfluxDB, account the CPU.

1. Warm-up: a probe reading (older than the run's data, on the first channel) is
   published until the store counts it and the count holds still for 2 s: the consumer
   is subscribed and writing. What the store holds then is the baseline.
2. The publisher processes build their messages and connect; the :class:`CpuMeter`
   starts; ``go``. Their progress (records PUBACKed) is sampled once a second.
3. Once every message is PUBACKed, the store is counted with InfluxQL over HTTP
   (:class:`bench.store_probe.StoreProbe`) until it holds every record published (or
   stops growing for ``stall_s``); the end is when that count came back.

Rate = records (messages) / (end - first publish). CPU = the consumer's process tree
over the same interval, per record and per message. ``publisher_bound`` when the
consumer stored the last record within ``max(2.5 s, 10 % of the publish time)`` of the
last PUBACK (publishing for at least 5 s): it kept up, so the rate is the publishers'
and the consumer could take more.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from bench.load import Kind, Tally
from bench.peers.cpu import CpuMeter, CpuUsage
from bench.peers.mixes import PeerTraffic
from bench.peers.publish import PublisherPool, PublishJob, WorkerReport, publish_one
from bench.peers.variants import Running
from bench.store_probe import StoreProbe
from lifeline.core.topics import gas_reading_topic

__all__ = ["MeasureOptions", "VariantResult", "measure"]

_JUDGE_AFTER_S = 5.0  # shorter publishing says nothing about who was the bottleneck
# a consumer that kept up still lags by its batching (Node-RED's join: 1 s) and the count poll
_KEPT_UP_S = 2.5


@dataclass(frozen=True, slots=True)
class MeasureOptions:
    publishers: int = 2
    window: int = 1000  # unacknowledged messages per publisher
    stall_s: float = 60.0  # give up counting when the store stops growing this long
    warmup_s: float = 120.0
    progress: bool = True


class VariantResult(msgspec.Struct, kw_only=True):
    mix: str
    variant: str
    started_at: str
    messages: int
    records: int
    stored: int
    lost: int
    duplicated: int
    sums_match: bool
    publish_s: float  # first publish -> last PUBACK
    total_s: float  # first publish -> last record counted
    lag_s: float  # last PUBACK -> last record counted
    publish_records_per_s: float
    messages_per_s: float
    records_per_s: float
    consumer_cpu_pct: float  # of one core, over total_s
    us_per_record: float
    us_per_message: float
    influxd_us_per_record: float
    publisher_bound: bool
    cpu: CpuUsage
    progress: list[tuple[float, int]]  # (s since go, records PUBACKed)
    notes: list[str] = msgspec.field(default_factory=list)


def _show(text: str, enabled: bool) -> None:
    if enabled:
        sys.stderr.write(f"\r{text:<110}")
        sys.stderr.flush()


async def _warm_up(
    running: Running, traffic: PeerTraffic, probe: StoreProbe, limit_s: float
) -> Tally:
    topic = gas_reading_topic(traffic.channels[0])
    deadline = time.monotonic() + limit_s
    attempt = 0
    while time.monotonic() < deadline:
        if not running.alive():
            raise RuntimeError(f"{running.variant} exited:\n{running.log_tail()}")
        attempt += 1
        body = msgspec.json.encode({"ts": traffic.base_ms - 1000 * attempt, "lel_pct": 1.0})
        host, port = running.mqtt
        await asyncio.to_thread(publish_one, host, port, topic, body)
        for _ in range(15):
            await asyncio.sleep(0.2)
            if (await probe.tally()).total:
                return await _steady(probe)
    raise TimeoutError(f"{running.variant} stored no probe in {limit_s} s:\n{running.log_tail()}")


async def _steady(probe: StoreProbe, still_s: float = 2.0) -> Tally:
    tally = await probe.tally()
    since = time.monotonic()
    while time.monotonic() - since < still_s:
        await asyncio.sleep(0.25)
        now = await probe.tally()
        if now.total != tally.total:
            tally, since = now, time.monotonic()
    return tally


def _minus(after: Tally, before: Tally) -> Tally:
    out = Tally()
    for kind in Kind:
        out.records[kind] = after.records.get(kind, 0) - before.records.get(kind, 0)
        out.sums[kind] = after.sums.get(kind, 0.0) - before.sums.get(kind, 0.0)
    return out


async def _count(
    probe: StoreProbe, baseline: Tally, target: int, stall_s: float, show: bool
) -> tuple[Tally, float]:
    """Poll until the store holds ``target`` records or stalls; (stored, end time)."""
    last_total, last_change = -1, time.monotonic()
    while True:
        asked = time.monotonic()
        stored = _minus(await probe.tally(), baseline)
        answered = time.monotonic()
        _show(f"counting: {stored.total:,} of {target:,} records in InfluxDB", show)
        if stored.total != last_total:
            last_total, last_change = stored.total, answered
        if stored.total >= target or answered - last_change > stall_s:
            return stored, answered
        await asyncio.sleep(max(0.5, 10 * (answered - asked)))  # counting loads influxd


async def _publish(
    pool: PublisherPool, traffic: PeerTraffic, began: float, name: str, show: bool
) -> tuple[list[WorkerReport], list[tuple[float, int]]]:
    collecting = asyncio.ensure_future(asyncio.to_thread(pool.results, 3600.0))
    progress: list[tuple[float, int]] = []
    while not collecting.done():
        await asyncio.wait({collecting}, timeout=1.0)
        elapsed, acked = time.monotonic() - began, pool.acked
        progress.append((round(elapsed, 2), acked))
        _show(f"{name}: {elapsed:5.1f} s  {acked:,} of {traffic.records:,} records PUBACKed", show)
    return collecting.result(), progress


async def measure(running: Running, traffic: PeerTraffic, options: MeasureOptions) -> VariantResult:
    """Run ``traffic`` through ``running`` (see the module docstring)."""
    show = options.progress
    name = f"{traffic.mix}/{running.variant}"
    probe = StoreProbe(running.store_url)
    _show(f"{name}: warming up", show)
    baseline = await _warm_up(running, traffic, probe, options.warmup_s)
    host, port = running.mqtt
    jobs = [
        PublishJob(host, port, traffic, w, options.publishers, options.window)
        for w in range(options.publishers)
    ]
    pool = PublisherPool(jobs)
    try:
        _show(f"{name}: building {traffic.messages:,} messages", show)
        await asyncio.to_thread(pool.wait_ready)
        meter = CpuMeter(
            {
                "consumer": running.consumer_pid,
                "broker": running.broker_pid,
                "influxd": running.influxd_pid,
            }
        )
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        meter.start()
        began = time.monotonic()
        pool.go()
        reports, progress = await _publish(pool, traffic, began, name, show)
        published = Tally()
        for report in reports:
            published.merge(report.tally)
        stored, end = await _count(probe, baseline, published.total, options.stall_s, show)
        cpu = meter.stop({"publishers": sum(r.cpu_s for r in reports)})
    finally:
        pool.terminate()
        _show("", show)
        if show:
            sys.stderr.write("\r")
    return _result(running, traffic, started_at, published, stored, reports, end, cpu, progress)


def _result(
    running: Running,
    traffic: PeerTraffic,
    started_at: str,
    published: Tally,
    stored: Tally,
    reports: list[WorkerReport],
    end: float,
    cpu: CpuUsage,
    progress: list[tuple[float, int]],
) -> VariantResult:
    first = min(r.first_publish for r in reports)
    last_ack = max(r.last_ack for r in reports)
    publish_s, total_s, lag_s = last_ack - first, end - first, end - last_ack
    records, messages = published.total, published.messages
    lost = max(0, records - stored.total)
    sums_match = all(
        math.isclose(published.sums.get(k, 0.0), stored.sums.get(k, 0.0), rel_tol=1e-6)
        for k in (Kind.GAS, Kind.METER)
    )
    consumer_s = cpu.seconds["consumer"]
    bound = publish_s >= _JUDGE_AFTER_S and lag_s <= max(_KEPT_UP_S, 0.1 * publish_s)
    notes = []
    if bound:
        notes.append(
            f"publisher-bound: the consumer stored the last record {lag_s:.1f} s after the"
            f" last PUBACK at {100 * consumer_s / total_s:.0f} % of a core; it could take more"
        )
    if cpu.machine_busy_pct >= 90:
        notes.append(f"machine saturated: {cpu.machine_busy_pct:.0f} % of {cpu.cores} cores busy")
    if lost:
        notes.append(f"{lost:,} records never counted in InfluxDB (stalled)")
    if not running.alive():
        notes.append(f"the consumer exited during the run:\n{running.log_tail(10)}")
    return VariantResult(
        mix=traffic.mix.value,
        variant=running.variant.value,
        started_at=started_at,
        messages=messages,
        records=records,
        stored=stored.total,
        lost=lost,
        duplicated=max(0, stored.total - records),
        sums_match=sums_match,
        publish_s=round(publish_s, 3),
        total_s=round(total_s, 3),
        lag_s=round(lag_s, 3),
        publish_records_per_s=round(records / publish_s, 1),
        messages_per_s=round(messages / total_s, 1),
        records_per_s=round(records / total_s, 1),
        consumer_cpu_pct=round(100 * consumer_s / total_s, 1),
        us_per_record=round(1e6 * consumer_s / records, 2),
        us_per_message=round(1e6 * consumer_s / messages, 1),
        influxd_us_per_record=round(1e6 * cpu.seconds["influxd"] / records, 2),
        publisher_bound=bound,
        cpu=cpu,
        progress=progress,
        notes=notes,
    )
