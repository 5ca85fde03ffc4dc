"""The drill framework: what a drill is, how its load is built, and how it is run and
judged (nothing lost, nothing stored twice, one alert per alarm, its own check)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench.publisher import RatePlan
from bench.run import Fault, FaultContext, RunOptions, RunResult, run_load
from bench.stack import Stack, StackOptions

__all__ = [
    "METERS",
    "Check",
    "Drill",
    "DrillOutcome",
    "no_check",
    "on_both_brokers",
    "run",
    "steady_load",
]

METERS = 2000  # registry meters of every drill stack

Check = Callable[[RunResult, FaultContext], list[str]]


@dataclass(frozen=True, slots=True)
class DrillOutcome:
    result: RunResult
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def no_check(result: RunResult, context: FaultContext) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class Drill:
    name: str
    summary: str
    stack: StackOptions  # workdir is replaced at run time
    load: Callable[[bool], RunOptions]  # short -> options
    fault: Callable[[Stack, bool], Fault]
    check: Check = no_check


def steady_load(
    rate: float, short_s: float, long_s: float, **extra: object
) -> Callable[[bool], RunOptions]:
    """A constant ``rate`` for ``short_s`` (short form) or ``long_s`` seconds."""

    def options(short: bool) -> RunOptions:
        base = RunOptions(
            duration_s=short_s if short else long_s,
            plan=RatePlan.constant(rate),
            meters=METERS,
            publishers=1,
            alarm_rate=4.0,
            drain_timeout_s=30.0,
        )
        return replace(base, **extra)  # type: ignore[arg-type]

    return options


def on_both_brokers(
    name: str,
    summary: str,
    load: Callable[[bool], RunOptions],
    fault: Callable[[Stack, bool], Fault],
    check: Check = no_check,
    embedded_check: Check | None = None,
) -> tuple[Drill, ...]:
    """``NAME-embedded`` and ``NAME-mosquitto``, both run as a utility would (accounts)."""
    return tuple(
        Drill(
            f"{name}-{broker}",
            f"{summary} ({'embedded broker' if broker == 'embedded' else 'Mosquitto'})",
            StackOptions(Path(), broker=broker, meters=METERS, accounts=True),
            load,
            fault,
            (embedded_check or check) if broker == "embedded" else check,
        )
        for broker in ("embedded", "mosquitto")
    )


async def run(drill: Drill, workdir: Path, *, short: bool, progress: bool = True) -> DrillOutcome:
    """Run ``drill`` on a fresh stack under ``workdir``."""
    options = replace(drill.load(short), progress=progress)
    stack_options = replace(drill.stack, workdir=workdir)
    with contextlib.ExitStack() as exits:
        stack = exits.enter_context(Stack(stack_options))
        context_holder: list[FaultContext] = []
        fault = drill.fault(stack, short)

        async def recording(context: FaultContext) -> None:
            context_holder.append(context)
            await fault(context)

        result = await run_load(drill.name, stack.target(), options, stack.pids, recording)
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
