"""Fault drills: a steady stream, one fault in the middle, and the books must balance.

Each :class:`Drill` names a stack (topology, store), a load (rate, duration) and a
fault action run alongside the load (see :class:`bench.run.FaultContext`). A drill
passes when nothing published is lost or stored twice (counts and checksums per kind),
every injected alarm has exactly one alert, and its own check holds (rejects counted
exactly, a health signal seen). ``short`` is the test-suite form (about 15 s of load).

| drill | fault |
|---|---|
| broker-restart | Mosquitto stopped and started again mid-stream |
| store-outage | InfluxDB stopped mid-stream; the spool takes over, replays after |
| kill-ingest | SIGKILL of ``lifeline ingest``; restarted; the session redelivers |
| kill-rules | SIGKILL of ``lifeline rules`` while alarms arrive; restarted |
| malformed-flood | a utility floods malformed messages while good traffic flows |
| burst-10x | ten times the normal rate for 60 s (short: 10 s) |
| spool-near-full | 1 MiB spool and an InfluxDB outage: back-pressure, health 503 |
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench.load import Mix, Traffic, malformed_messages
from bench.publisher import RatePlan
from bench.run import Fault, FaultContext, RunOptions, RunResult, run_load
from bench.stack import Stack, StackOptions
from lifeline.seed import generate_registry
from simulators.publish import MqttPublisher

__all__ = ["DRILLS", "Drill", "DrillOutcome", "run_drill"]

_METERS = 2000


@dataclass(frozen=True, slots=True)
class DrillOutcome:
    result: RunResult
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


Check = Callable[[RunResult, FaultContext], list[str]]


def _no_check(result: RunResult, context: FaultContext) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class Drill:
    name: str
    summary: str
    stack: StackOptions  # workdir is replaced at run time
    load: Callable[[bool], RunOptions]  # short -> options
    fault: Callable[[Stack, bool], Fault]
    check: Check = _no_check


def _load(
    rate: float, short_s: float, long_s: float, **extra: object
) -> Callable[[bool], RunOptions]:
    def options(short: bool) -> RunOptions:
        base = RunOptions(
            duration_s=short_s if short else long_s,
            plan=RatePlan.constant(rate),
            meters=_METERS,
            publishers=1,
            alarm_rate=4.0,
            drain_timeout_s=30.0,
        )
        return replace(base, **extra)  # type: ignore[arg-type]

    return options


def _outage(
    start: Callable[[], None], stop: Callable[[], None], at_s: float, down_s: float, what: str
) -> Fault:
    async def fault(context: FaultContext) -> None:
        await context.at(at_s)
        context.begin()
        await asyncio.to_thread(stop)
        await asyncio.sleep(down_s)
        await asyncio.to_thread(start)
        context.end()
        context.notes.append(f"{what} for {time.monotonic() - context.window[0]:.1f} s")

    return fault


def _broker_restart(stack: Stack, short: bool) -> Fault:
    assert stack.mosquitto is not None
    broker = stack.mosquitto
    return _outage(broker.start, broker.stop, 4.0, 2.0 if short else 10.0, "Mosquitto down")


def _store_outage(stack: Stack, short: bool) -> Fault:
    assert stack.influx is not None
    influx = stack.influx
    return _outage(influx.start, influx.stop, 3.0, 5.0 if short else 30.0, "InfluxDB down")


def _spool_outage(stack: Stack, short: bool) -> Fault:
    assert stack.influx is not None
    influx = stack.influx
    return _outage(influx.start, influx.stop, 2.0, 8.0 if short else 30.0, "InfluxDB down")


def _kill(name: str, at_s: float, down_s: float) -> Callable[[Stack, bool], Fault]:
    def make(stack: Stack, short: bool) -> Fault:
        async def fault(context: FaultContext) -> None:
            await context.at(at_s)
            context.begin()
            await asyncio.to_thread(stack.kill, name)
            await asyncio.sleep(down_s if short else down_s * 3)
            await asyncio.to_thread(stack.restart, name)
            context.end()
            context.notes.append(
                f"{name} SIGKILLed, back after {time.monotonic() - context.window[0]:.1f} s"
            )

        return fault

    return make


_FLOOD_RATE = 1000.0  # malformed messages per second


def _malformed_flood(stack: Stack, short: bool) -> Fault:
    async def fault(context: FaultContext) -> None:
        await context.at(2.0)
        context.begin()
        sent = 0
        duration = 8.0 if short else 40.0
        flood = malformed_messages(_flood_traffic(), int(time.time() * 1000))
        async with MqttPublisher(stack.mqtt, client_id="bench-flood", max_inflight=200) as pub:
            began = time.monotonic()
            while (elapsed := time.monotonic() - began) < duration:
                if sent >= elapsed * _FLOOD_RATE:
                    await asyncio.sleep(0.005)
                    continue
                topic, payload = next(flood)
                await pub.publish(topic, payload)
                sent += 1
        context.end()
        context.counts["flood"] = sent
        context.notes.append(f"{sent:,} malformed messages in {duration:.0f} s")

    return fault


def _flood_traffic() -> Traffic:
    return Traffic.of(generate_registry(meters=0), base_ms=0, meter_base_ms=0, alarm_channels=0)


def _rejects_counted(result: RunResult, context: FaultContext) -> list[str]:
    flood = context.counts.get("flood", 0)
    if result.rejects != flood:
        return [f"{flood} malformed messages sent but {result.rejects:.0f} rejects counted"]
    return []


def _burst(short: bool) -> RunOptions:
    burst_s = 10.0 if short else 60.0
    normal = 1000.0
    plan = RatePlan(((0.0, normal), (3.0, normal * 10), (3.0 + burst_s, normal)))
    return RunOptions(
        duration_s=burst_s + 6.0,
        plan=plan,
        meters=_METERS,
        publishers=2,
        drain_timeout_s=30.0,
    )


def _burst_fault(stack: Stack, short: bool) -> Fault:
    async def fault(context: FaultContext) -> None:
        await context.at(3.0)
        context.begin()
        await context.at(3.0 + (10.0 if short else 60.0))
        context.end()
        context.notes.append("10x burst window marked as the fault")

    return fault


def _health_signal(result: RunResult, context: FaultContext) -> list[str]:
    problems = []
    if result.backlog.health_failures == 0:
        problems.append("no /healthz failure seen while the spool was near full")
    if result.backlog.spool_bytes_peak < 0.5 * (1 << 20):
        problems.append(f"spool peaked at {result.backlog.spool_bytes_peak:.0f} bytes only")
    return problems


DRILLS: dict[str, Drill] = {
    d.name: d
    for d in (
        Drill(
            "broker-restart",
            "Mosquitto restarted mid-stream",
            StackOptions(Path(), meters=_METERS),
            _load(1000.0, 12.0, 60.0),
            _broker_restart,
        ),
        Drill(
            "store-outage",
            "InfluxDB stopped mid-stream, the spool takes over",
            StackOptions(Path(), store="influx", meters=_METERS),
            _load(1000.0, 12.0, 60.0),
            _store_outage,
        ),
        Drill(
            "kill-ingest",
            "SIGKILL of the ingest worker mid-stream, restarted",
            StackOptions(Path(), scaled_out=True, meters=_METERS),
            _load(1000.0, 12.0, 60.0),
            _kill("ingest-1", 4.0, 1.0),
        ),
        Drill(
            "kill-rules",
            "SIGKILL of the rules worker while alarms arrive, restarted",
            StackOptions(Path(), scaled_out=True, meters=_METERS),
            _load(1000.0, 12.0, 60.0),
            _kill("rules", 4.0, 1.5),
        ),
        Drill(
            "malformed-flood",
            "1,000 malformed messages/s while good traffic flows",
            StackOptions(Path(), meters=_METERS),
            _load(1000.0, 12.0, 50.0),
            _malformed_flood,
            _rejects_counted,
        ),
        Drill(
            "burst-10x",
            "10x the normal rate (1,000 -> 10,000 records/s) for 60 s (short: 10 s)",
            StackOptions(Path(), meters=_METERS),
            _burst,
            _burst_fault,
        ),
        Drill(
            "spool-near-full",
            "1 MiB spool and an InfluxDB outage: back-pressure, no loss, health signal",
            StackOptions(Path(), store="influx", meters=_METERS, spool_max_bytes=1 << 20),
            _load(4000.0, 14.0, 60.0, mix=Mix(gas=10, event=1, station=4, meter=2)),
            _spool_outage,
            _health_signal,
        ),
    )
}


async def run_drill(
    name: str, workdir: Path, *, short: bool, progress: bool = True
) -> DrillOutcome:
    """Run drill ``name`` on a fresh stack under ``workdir``."""
    drill = DRILLS[name]
    options = replace(drill.load(short), progress=progress)
    stack_options = replace(drill.stack, workdir=workdir)
    with contextlib.ExitStack() as exits:
        stack = exits.enter_context(Stack(stack_options))
        context_holder: list[FaultContext] = []
        fault = drill.fault(stack, short)

        async def recording(context: FaultContext) -> None:
            context_holder.append(context)
            await fault(context)

        result = await run_load(name, stack.target(), options, stack.pids, recording)
    problems = []
    if result.lost or result.duplicated or not result.sums_match:
        problems.append(
            f"lost {result.lost}, duplicated {result.duplicated}, "
            f"checksums {'match' if result.sums_match else 'differ'}"
        )
    if result.alarms_lost or result.alarms_duplicated:
        problems.append(
            f"alarms: {result.alarms_lost} without alert, {result.alarms_duplicated} with two"
        )
    if context_holder:
        problems += drill.check(result, context_holder[0])
    return DrillOutcome(result, problems)
