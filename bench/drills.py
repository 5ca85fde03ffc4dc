"""Fault drills: a steady stream, one fault in the middle, and the books must balance.

Each :class:`Drill` names a stack (topology, store), a load (rate, duration) and a
fault action run alongside the load (see :class:`bench.run.FaultContext`). A drill
passes when nothing published is lost or stored twice (counts and checksums per kind),
every injected alarm has exactly one alert, and its own check holds (rejects counted
exactly, a health signal seen). ``short`` is the test-suite form (about 15 s of load).

The issue-10 drills run each fault on both brokers (``-embedded``: ``lifeline up``'s
in-process amqtt; ``-mosquitto``: a real Mosquitto) and as a utility would
(``StackOptions(accounts=True)``: no development mode, accounts from ``lifeline
accounts``, each utility publishing its own devices over a persistent session).

| drill | fault |
|---|---|
| broker-restart | Mosquitto stopped and started again mid-stream |
| broker-restart-embedded | ``lifeline up`` (its broker) SIGTERMed and started again |
| publisher-disconnect-B | publishers drop their connections right after their PUBACKs, repeatedly |
| kill-up-B | SIGKILL of ``lifeline up``; restarted; publishers resend what was not acked |
| alert-store-locked-B | ``lifeline.db`` held by ``BEGIN EXCLUSIVE`` elsewhere (90 s; short 15 s) |
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
import signal
import sys
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


_SIGTERM_GRACE_S = 30.0  # then it is SIGKILLed, and the drill reports it did not stop


def _graceful_restart(name: str, at_s: float) -> Callable[[Stack, bool], Fault]:
    """SIGTERM of ``name`` (it shuts down cleanly), started again at once."""

    def make(stack: Stack, short: bool) -> Fault:
        async def fault(context: FaultContext) -> None:
            await context.at(at_s)
            context.begin()
            exited = await asyncio.to_thread(stack.kill, name, signal.SIGTERM, _SIGTERM_GRACE_S)
            stopped_s = time.monotonic() - context.window[0]
            context.counts["exited_on_sigterm"] = int(exited)
            await asyncio.to_thread(stack.restart, name)
            context.end()
            how = (
                "exited" if exited else f"had not exited after {_SIGTERM_GRACE_S:.0f} s (SIGKILLed)"
            )
            context.notes.append(
                f"{name} SIGTERMed: {how} after {stopped_s:.1f} s; started again, ready after "
                f"{time.monotonic() - context.window[0]:.1f} s"
            )

        return fault

    return make


def _stopped_cleanly(result: RunResult, context: FaultContext) -> list[str]:
    if not context.counts.get("exited_on_sigterm"):
        return [f"lifeline up did not exit within {_SIGTERM_GRACE_S:.0f} s of SIGTERM"]
    return _resent(result, context)


def _churn(stack: Stack, short: bool) -> Fault:
    """The publishers drop their connections themselves (``RunOptions.drop_every_s``);
    the fault only marks the window, from the first drop to the end of the stream."""

    async def fault(context: FaultContext) -> None:
        await context.at(1.0)
        context.begin()
        await context.at(_CHURN_S[short])
        context.end()

    return fault


_CHURN_S = {True: 12.0, False: 60.0}  # load duration, short and long
_DROP_EVERY_S = {True: 1.5, False: 3.0}


def _churn_load(short: bool) -> RunOptions:
    return replace(_load(1000.0, 12.0, 60.0)(short), drop_every_s=_DROP_EVERY_S[short])


def _dropped(result: RunResult, context: FaultContext) -> list[str]:
    least = int(_CHURN_S[True] / _DROP_EVERY_S[True]) // 2
    if result.publisher_drops < least:
        return [f"publishers dropped their connections {result.publisher_drops} times only"]
    return []


def _resent(result: RunResult, context: FaultContext) -> list[str]:
    """The publishers saw the broker go away and reconnected (the embedded broker dies
    with ``lifeline up``)."""
    if result.publisher_reconnects == 0:
        return ["no publisher reconnected: the fault did not reach the publishers"]
    return []


# Another process holds lifeline.db (alerts, registry, dead letters) in an exclusive
# transaction: every alert-store write waits. The old engine gave up after 5 attempts of a
# 10 s busy timeout (~53 s); the long form holds 90 s, the short form 15 s (CI time),
# which still outlasts a 10 s busy timeout.
_LOCK_S = {True: 15.0, False: 90.0}
_LOCK_AT_S = 3.0
_LOCK_SCRIPT = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
print("released", flush=True)
"""


def _locked_load(short: bool) -> RunOptions:
    return _load(1000.0, _LOCK_AT_S + _LOCK_S[True] + 6.0, _LOCK_AT_S + _LOCK_S[False] + 20.0)(
        short
    )


def _alert_store_locked(stack: Stack, short: bool) -> Fault:
    async def fault(context: FaultContext) -> None:
        await context.at(_LOCK_AT_S)
        hold = _LOCK_S[short]
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _LOCK_SCRIPT,
            str(stack.data_dir / "lifeline.db"),
            str(hold),
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        try:
            if (await holder.stdout.readline()).strip() != b"locked":
                raise RuntimeError("the lock holder could not take lifeline.db")
            context.begin()
            released = (await holder.stdout.readline()).strip() == b"released"
            await asyncio.wait_for(holder.wait(), 30)
        finally:
            if holder.returncode is None:
                holder.kill()
                await holder.wait()
        context.end()
        held = context.window[1] - context.window[0]
        context.counts["lock_released"] = int(released and holder.returncode == 0)
        context.counts["lock_held_ms"] = int(held * 1000)
        context.notes.append(f"lifeline.db held by BEGIN EXCLUSIVE for {held:.1f} s")

    return fault


def _lock_held(result: RunResult, context: FaultContext) -> list[str]:
    problems = []
    if not context.counts.get("lock_released"):
        problems.append("the lock holder did not hold and release lifeline.db")
    if not result.latency_in_fault_ms:
        problems.append("no alarm was injected while lifeline.db was locked")
    return problems


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


def _on_both_brokers(
    name: str,
    summary: str,
    load: Callable[[bool], RunOptions],
    fault: Callable[[Stack, bool], Fault],
    check: Check = _no_check,
    embedded_check: Check | None = None,
) -> tuple[Drill, ...]:
    """``NAME-embedded`` and ``NAME-mosquitto``, both run as a utility would (accounts)."""
    return tuple(
        Drill(
            f"{name}-{broker}",
            f"{summary} ({'embedded broker' if broker == 'embedded' else 'Mosquitto'})",
            StackOptions(Path(), broker=broker, meters=_METERS, accounts=True),
            load,
            fault,
            (embedded_check or check) if broker == "embedded" else check,
        )
        for broker in ("embedded", "mosquitto")
    )


DRILLS: dict[str, Drill] = {
    d.name: d
    for d in (
        Drill(
            "broker-restart",
            "Mosquitto restarted mid-stream",
            StackOptions(Path(), meters=_METERS, accounts=True),
            _load(1000.0, 12.0, 60.0),
            _broker_restart,
        ),
        Drill(
            "broker-restart-embedded",
            "lifeline up (and its in-process broker) SIGTERMed and started again mid-stream",
            StackOptions(Path(), broker="embedded", meters=_METERS, accounts=True),
            _load(1000.0, 12.0, 60.0),
            _graceful_restart("up", 4.0),
            _stopped_cleanly,
        ),
        *_on_both_brokers(
            "publisher-disconnect",
            "publishers drop their connections right after their PUBACKs and reconnect, "
            "every 3 s (short: 1.5 s)",
            _churn_load,
            _churn,
            _dropped,
        ),
        *_on_both_brokers(
            "kill-up",
            "SIGKILL of lifeline up mid-stream, restarted; publishers resend what was not acked",
            _load(1000.0, 12.0, 60.0),
            _kill("up", 4.0, 1.0),
            embedded_check=_resent,
        ),
        *_on_both_brokers(
            "alert-store-locked",
            "lifeline.db held by BEGIN EXCLUSIVE from another process for 90 s (short: 15 s) "
            "while alarms arrive",
            _locked_load,
            _alert_store_locked,
            _lock_held,
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
