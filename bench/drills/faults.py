"""The fault actions of the drills, the loads they need, and their own checks.

A fault factory takes the running :class:`bench.stack.Stack` and ``short`` and returns
the action run alongside the load (:data:`bench.run.Fault`); it marks the fault window
with ``context.begin()``/``context.end()`` and leaves notes and counts for its check.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from bench.drills.framework import METERS, steady_load
from bench.load import Traffic, malformed_messages
from bench.publisher import RatePlan
from bench.run import Fault, FaultContext, RunOptions, RunResult
from bench.stack import Stack
from lifeline.seed import generate_registry
from simulators.publish import MqttPublisher

__all__ = [
    "alert_store_locked",
    "broker_restart",
    "burst_fault",
    "burst_load",
    "churn",
    "churn_load",
    "dropped",
    "graceful_restart",
    "health_signal",
    "influx_outage",
    "kill",
    "lock_held",
    "locked_load",
    "malformed_flood",
    "rejects_counted",
    "resent",
    "stopped_cleanly",
]

FaultFactory = Callable[[Stack, bool], Fault]


# --- outages: a service stopped and started again -------------------------------------


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


def broker_restart(stack: Stack, short: bool) -> Fault:
    assert stack.mosquitto is not None
    broker = stack.mosquitto
    return _outage(broker.start, broker.stop, 4.0, 2.0 if short else 10.0, "Mosquitto down")


def influx_outage(at_s: float, short_down_s: float, long_down_s: float) -> FaultFactory:
    """InfluxDB stopped at ``at_s`` and started again after the short or long time."""

    def make(stack: Stack, short: bool) -> Fault:
        assert stack.influx is not None
        influx = stack.influx
        down_s = short_down_s if short else long_down_s
        return _outage(influx.start, influx.stop, at_s, down_s, "InfluxDB down")

    return make


# --- processes killed or stopped -------------------------------------------------------


def kill(name: str, at_s: float, down_s: float) -> FaultFactory:
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


def graceful_restart(name: str, at_s: float) -> FaultFactory:
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


def stopped_cleanly(result: RunResult, context: FaultContext) -> list[str]:
    if not context.counts.get("exited_on_sigterm"):
        return [f"lifeline up did not exit within {_SIGTERM_GRACE_S:.0f} s of SIGTERM"]
    return resent(result, context)


def resent(result: RunResult, context: FaultContext) -> list[str]:
    """The publishers saw the broker go away and reconnected (the embedded broker dies
    with ``lifeline up``)."""
    if result.publisher_reconnects == 0:
        return ["no publisher reconnected: the fault did not reach the publishers"]
    return []


# --- publishers dropping their connections ---------------------------------------------

_CHURN_S = {True: 12.0, False: 60.0}  # load duration, short and long
_DROP_EVERY_S = {True: 1.5, False: 3.0}


def churn(stack: Stack, short: bool) -> Fault:
    """The publishers drop their connections themselves (``RunOptions.drop_every_s``);
    the fault only marks the window, from the first drop to the end of the stream."""

    async def fault(context: FaultContext) -> None:
        await context.at(1.0)
        context.begin()
        await context.at(_CHURN_S[short])
        context.end()

    return fault


def churn_load(short: bool) -> RunOptions:
    return replace(steady_load(1000.0, 12.0, 60.0)(short), drop_every_s=_DROP_EVERY_S[short])


def dropped(result: RunResult, context: FaultContext) -> list[str]:
    least = int(_CHURN_S[True] / _DROP_EVERY_S[True]) // 2
    if result.publisher_drops < least:
        return [f"publishers dropped their connections {result.publisher_drops} times only"]
    return []


# --- the alert database locked by another process ---------------------------------------

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


def locked_load(short: bool) -> RunOptions:
    return steady_load(
        1000.0, _LOCK_AT_S + _LOCK_S[True] + 6.0, _LOCK_AT_S + _LOCK_S[False] + 20.0
    )(short)


def alert_store_locked(stack: Stack, short: bool) -> Fault:
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


def lock_held(result: RunResult, context: FaultContext) -> list[str]:
    problems = []
    if not context.counts.get("lock_released"):
        problems.append("the lock holder did not hold and release lifeline.db")
    if not result.latency_in_fault_ms:
        problems.append("no alarm was injected while lifeline.db was locked")
    return problems


# --- a flood of malformed messages --------------------------------------------------------

_FLOOD_RATE = 1000.0  # malformed messages per second


def malformed_flood(stack: Stack, short: bool) -> Fault:
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


def rejects_counted(result: RunResult, context: FaultContext) -> list[str]:
    flood = context.counts.get("flood", 0)
    if result.rejects != flood:
        return [f"{flood} malformed messages sent but {result.rejects:.0f} rejects counted"]
    return []


# --- a burst of ten times the rate -------------------------------------------------------

_BURST_AT_S = 3.0
_BURST_S = {True: 10.0, False: 60.0}


def burst_load(short: bool) -> RunOptions:
    burst_s = _BURST_S[short]
    normal = 1000.0
    plan = RatePlan(((0.0, normal), (_BURST_AT_S, normal * 10), (_BURST_AT_S + burst_s, normal)))
    return RunOptions(
        duration_s=burst_s + 6.0,
        plan=plan,
        meters=METERS,
        publishers=2,
        drain_timeout_s=30.0,
    )


def burst_fault(stack: Stack, short: bool) -> Fault:
    async def fault(context: FaultContext) -> None:
        await context.at(_BURST_AT_S)
        context.begin()
        await context.at(_BURST_AT_S + _BURST_S[short])
        context.end()
        context.notes.append("10x burst window marked as the fault")

    return fault


# --- the spool near full ------------------------------------------------------------------


def health_signal(result: RunResult, context: FaultContext) -> list[str]:
    problems = []
    if result.backlog.health_failures == 0:
        problems.append("no /healthz failure seen while the spool was near full")
    if result.backlog.spool_bytes_peak < 0.5 * (1 << 20):
        problems.append(f"spool peaked at {result.backlog.spool_bytes_peak:.0f} bytes only")
    return problems
