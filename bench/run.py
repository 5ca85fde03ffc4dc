"""One measured run: publish a paced mix, inject alarms, apply a fault, count what is stored.

:func:`run_load` is shared by ``lifeline bench`` and every drill: it starts the
publisher processes, the alarm injector, the SSE watcher, the CPU/memory sampler and
the backlog probe; runs ``fault`` (a drill's action) alongside; waits until the store
holds everything published (or stops growing); and returns a :class:`RunResult` with
published / stored / lost / duplicated, checksums, alert latency and resources.

A :class:`bench.stack.Target` with ``accounts`` is published to as the utilities do
(each device by its owner's account, :class:`bench.publisher.Accounts`); the traffic
then covers only those utilities' devices (stations of the listed heat utilities).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx
import msgspec

from bench.alarms import AlarmInjector, AlertWatcher, percentiles
from bench.load import DAY_MS, Kind, Mix, Tally, Traffic
from bench.probes import Backlog, BacklogProbe, ProcessSampler, ProcessStats
from bench.publisher import Accounts, PublisherPool, PublishJob, RatePlan, RoutedPublisher
from bench.stack import Target
from bench.store_probe import StoreProbe
from bench.webhook_sink import WebhookSink
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.core.topics import gas_reading_topic, meter_reading_topic
from lifeline.seed import generate_registry

__all__ = ["FaultContext", "RunOptions", "RunResult", "run_load"]

_SUM_TOLERANCE = 1e-6  # relative; sums are added in a different order by the store


@dataclass(frozen=True, slots=True)
class RunOptions:
    duration_s: float = 60.0
    plan: RatePlan = field(default_factory=lambda: RatePlan.constant(5000.0))
    mix: Mix = field(default_factory=Mix)
    publishers: int = 2  # processes
    connections: int = 2  # per process
    window: int = 500  # unacknowledged messages per connection
    alarm_rate: float = 4.0  # alarms per second (each on a fresh channel)
    alarm_channels: int = 300
    meters: int = 20_000  # must match the stack's LIFELINE_DEMO_METERS
    registry_seed: int = 20230701
    drain_timeout_s: float = 120.0
    progress: bool = True
    drop_every_s: float | None = None  # publishers drop their connections this often


class RunResult(msgspec.Struct, kw_only=True):
    name: str
    started_at: str
    config: dict[str, object]
    duration_s: float
    published: Tally
    stored: Tally
    lost: int
    duplicated: int
    sums_match: bool
    sum_mismatch: dict[str, list[float]]
    messages_per_s: float
    published_per_s: float
    stored_per_s: float
    drain_s: float
    alarms_injected: int
    alarms_lost: int
    alarms_duplicated: int
    latency_ms: dict[str, float]
    notify_latency_ms: dict[str, float] = {}  # publish -> first webhook POST (--notify)
    alarms_notified: int = 0  # alarms whose webhook POST arrived (--notify)
    latency_in_fault_ms: dict[str, float]
    processes: dict[str, ProcessStats]
    backlog: Backlog
    rejects: float
    publisher_drops: int = 0  # deliberate abrupt disconnects (drop_every_s)
    publisher_reconnects: int = 0  # reconnects after a failed publish (resends)
    notes: list[str] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.sums_match
            and self.alarms_lost == 0
            and self.alarms_duplicated == 0
        )


@dataclass
class FaultContext:
    """What a drill's fault action gets: the run's clock and a way to mark the fault."""

    started: float  # monotonic time of the first publish
    window: list[float] = field(default_factory=list)  # [start, end] monotonic
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    async def at(self, second: float) -> None:
        """Sleep until ``second`` seconds into the run."""
        await asyncio.sleep(max(0.0, self.started + second - time.monotonic()))

    def begin(self) -> None:
        self.window[:] = [time.monotonic()]

    def end(self) -> None:
        self.window.append(time.monotonic())


Fault = Callable[[FaultContext], Awaitable[None]]


def _traffic(options: RunOptions, registry: Registry, accounts: Accounts | None) -> Traffic:
    peak = max((r for _, r in options.plan.phases if r is not None), default=100_000.0)
    span_s = options.duration_s * peak / 1000 + 900  # gas/station ts advance 1 ms a record
    now = now_ms()
    traffic = Traffic.of(
        registry,
        base_ms=now - int(span_s * 1000),
        meter_base_ms=_local_midnight(now) - 34 * DAY_MS,
        alarm_channels=options.alarm_channels,
    )
    if accounts is None:
        return traffic
    stations = tuple(
        s for s in traffic.stations if registry.enterprises[s[0]].owner in accounts.addresses
    )
    if not stations or any(gas_reading_topic(c) not in accounts.owners for c in registry.channels):
        raise ValueError("the accounts must cover every gas utility and some stations")
    meters = tuple(m for m in traffic.meters if meter_reading_topic(m) in accounts.owners)
    return replace(traffic, stations=stations, meters=meters)


def _local_midnight(ms: int, utc_offset_ms: int = 8 * 3_600_000) -> int:
    """The last midnight in the city's time zone (UTC+8) before ``ms``."""
    return (ms + utc_offset_ms) // DAY_MS * DAY_MS - utc_offset_ms


def _compare(published: Tally, stored: Tally) -> tuple[int, int, dict[str, list[float]]]:
    lost = duplicated = 0
    mismatch: dict[str, list[float]] = {}
    for kind in Kind:
        want, got = published.records.get(kind, 0), stored.records.get(kind, 0)
        lost += max(0, want - got)
        duplicated += max(0, got - want)
        want_sum, got_sum = published.sums.get(kind, 0.0), stored.sums.get(kind, 0.0)
        if kind is not Kind.EVENT and not math.isclose(
            want_sum, got_sum, rel_tol=_SUM_TOLERANCE, abs_tol=1e-6
        ):
            mismatch[kind.value] = [want_sum, got_sum]
    return lost, duplicated, mismatch


def _minus(after: Tally, before: Tally) -> Tally:
    out = Tally()
    for kind in Kind:
        out.records[kind] = after.records.get(kind, 0) - before.records.get(kind, 0)
        out.sums[kind] = after.sums.get(kind, 0.0) - before.sums.get(kind, 0.0)
    return out


def _progress(text: str, enabled: bool) -> None:
    if enabled:
        sys.stderr.write(f"\r{text:<100}")
        sys.stderr.flush()


async def _drain(
    probe: StoreProbe, baseline: Tally, target: int, timeout_s: float, show: bool
) -> tuple[Tally, float]:
    """Poll the store until it holds ``target`` records or stops growing for timeout."""
    began = time.monotonic()
    last_total, last_change = -1, began
    while True:
        stored = _minus(await probe.tally(), baseline)
        total = stored.total
        _progress(f"draining: stored {total:,} of {target:,}", show)
        now = time.monotonic()
        if total != last_total:
            last_total, last_change = total, now
        if total >= target or now - last_change > timeout_s:
            return stored, now - began
        await asyncio.sleep(0.5)


async def run_load(
    name: str,
    target: Target,
    options: RunOptions,
    pids: Callable[[], Mapping[str, int]] = dict,
    fault: Fault | None = None,
    notify: WebhookSink | None = None,
) -> RunResult:
    """Run the load against ``target`` (see the module docstring)."""
    show = options.progress
    registry = generate_registry(options.registry_seed, options.meters)
    accounts = (
        Accounts.of(registry, target.mqtt, dict(target.accounts)) if target.accounts else None
    )
    traffic = _traffic(options, registry, accounts)
    probe = StoreProbe(target.store_url)
    baseline = await probe.tally()
    jobs = [
        PublishJob(
            broker=target.mqtt,
            traffic=traffic,
            mix=options.mix,
            worker=w,
            workers=options.publishers,
            duration_s=options.duration_s,
            plan=options.plan.share(options.publishers),
            connections=options.connections,
            window=options.window,
            accounts=accounts,
            drop_every_s=options.drop_every_s,
        )
        for w in range(options.publishers)
    ]
    pool = PublisherPool(jobs)
    watcher = AlertWatcher(target.api_url)
    sampler = ProcessSampler()
    backlog = BacklogProbe(target.metrics_urls, target.mqtt)
    mix = options.mix
    non_meter = (mix.gas + mix.event + mix.station) / mix.records_per_round
    injector = AlarmInjector(
        target.mqtt,
        traffic.alarm_channels,
        watcher,
        ts_now=lambda: traffic.base_ms + int(pool.published * non_meter) - 1000,
        rate=options.alarm_rate,
        connect=None if accounts is None else lambda: RoutedPublisher(accounts, "bench-alarms", 50),
    )
    stop_alarms = asyncio.Event()
    context = FaultContext(started=time.monotonic())
    tasks: list[asyncio.Task[None]] = []
    try:
        tasks.append(asyncio.create_task(watcher.run()))
        await asyncio.wait_for(watcher.connected.wait(), 30)

        def all_pids() -> dict[str, int]:
            return {**pids(), **{f"publisher-{i}": p for i, p in enumerate(pool.pids)}}

        tasks.append(asyncio.create_task(sampler.run(all_pids)))
        tasks.append(asyncio.create_task(backlog.run()))
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        pool.go()
        context.started = time.monotonic()
        await asyncio.sleep(1.0)  # publishers import and connect
        alarms = asyncio.create_task(injector.run(stop_alarms))
        tasks.append(alarms)
        fault_task = asyncio.ensure_future(fault(context)) if fault is not None else None
        collecting = asyncio.create_task(pool.results(options.duration_s + 600))
        while not collecting.done():
            elapsed = time.monotonic() - context.started
            sent = pool.published
            _progress(
                f"{name}: {elapsed:5.1f}/{options.duration_s:.0f} s  published {sent:,} records"
                f" ({sent / max(elapsed, 1e-3):,.0f}/s)  alarms {len(injector.sent)}"
                f"  broker backlog {backlog.backlog.broker_stored_last:,.0f}",
                show,
            )
            await asyncio.wait({collecting}, timeout=1.0)
        published = collecting.result()
        publish_s = time.monotonic() - context.started
        drops, reconnects = pool.drops, pool.reconnects
        stop_alarms.set()
        if fault_task is not None:
            await fault_task
        # The injector counts an alarm once its publish call returns (which waits while a
        # connection is down) and PUBACKs the rest on its way out: merge after that.
        await asyncio.wait_for(alarms, options.drain_timeout_s + 60)
        published.merge(injector.tally)
        stored, drain_s = await _drain(
            probe, baseline, published.total, options.drain_timeout_s, show
        )
        window = (context.window[0], context.window[-1]) if len(context.window) == 2 else None
        verdict = await injector.verdict(window=window)
        async with httpx.AsyncClient(timeout=5) as client:
            rejects = (await backlog.scrape_once(client))["rejects"]
    finally:
        stop_alarms.set()
        pool.terminate()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        _progress("", show)
        if show:
            sys.stderr.write("\r")
    lost, duplicated, mismatch = _compare(published, stored)
    total_s = publish_s + drain_s
    return RunResult(
        name=name,
        started_at=started_at,
        config={
            "duration_s": options.duration_s,
            "rate_plan": [list(p) for p in options.plan.phases],
            "mix": _mix_config(options.mix),
            "publishers": options.publishers,
            "connections": options.connections,
            "window": options.window,
            "alarm_rate": options.alarm_rate,
            "store": target.store_url,
            "mqtt": f"{target.mqtt.host}:{target.mqtt.port}",
            "publish_as": sorted(accounts.addresses) if accounts is not None else "anonymous",
            "drop_every_s": options.drop_every_s,
        },
        duration_s=round(publish_s, 2),
        published=published,
        stored=stored,
        lost=lost,
        duplicated=duplicated + len(verdict.duplicated),
        sums_match=not mismatch,
        sum_mismatch=mismatch,
        messages_per_s=round(published.messages / publish_s, 1),
        published_per_s=round(published.total / publish_s, 1),
        stored_per_s=round(stored.total / total_s, 1),
        drain_s=round(drain_s, 2),
        alarms_injected=verdict.injected,
        alarms_lost=len(verdict.lost),
        alarms_duplicated=len(verdict.duplicated),
        latency_ms=verdict.latency_ms,
        notify_latency_ms=percentiles(notify.latencies_ms(injector.sent)) if notify else {},
        alarms_notified=len(notify.latencies_ms(injector.sent)) if notify else 0,
        latency_in_fault_ms=verdict.latency_in_window_ms,
        processes=sampler.stats,
        backlog=backlog.backlog,
        rejects=rejects,
        publisher_drops=drops,
        publisher_reconnects=reconnects,
        notes=[
            *context.notes,
            f"publishers: {drops} abrupt disconnects, {reconnects} reconnects after a failed"
            " publish (unacknowledged messages resent)",
        ],
    )


def _mix_config(mix: Mix) -> dict[str, int]:
    return {
        "gas": mix.gas,
        "event": mix.event,
        "station": mix.station,
        "meter": mix.meter,
        "meter_batch": mix.meter_batch,
    }
