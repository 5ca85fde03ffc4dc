"""``lifeline bench`` and ``lifeline drill``: argument parsing and the run's exit code.

    lifeline bench [--rate 5000|max] [--duration 60s] [--broker mosquitto|embedded]
                   [--store sqlite|influx|influx://HOST:PORT/DB] [--ingest-workers N]
                   [--api URL --mqtt-url URL --target-store URL] [--json PATH]
    lifeline bench --peers [--mix gateway,alarm,meter] [--json PATH]   (bench/peers)
    lifeline drill NAME|all [--short] [--json PATH]

Exit status 0 when nothing was lost or duplicated (and, for drills, the drill's own
check held), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.drills import DRILLS, run_drill
from bench.load import Mix
from bench.publisher import RatePlan
from bench.report import format_result, write_json
from bench.run import RunOptions, RunResult, run_load
from bench.stack import Stack, StackOptions, Target
from bench.webhook_sink import WebhookSink

__all__ = ["main"]


def _duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


def _rate(text: str) -> float | None:
    return None if text == "max" else float(text)


def _bench_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifeline bench", description="end-to-end throughput, alert latency, resources"
    )
    parser.add_argument("--rate", type=_rate, default=5000.0, help="records/s or 'max'")
    parser.add_argument("--duration", type=_duration, default=60.0, help="60s, 2m")
    parser.add_argument("--broker", choices=["mosquitto", "embedded"], default="mosquitto")
    parser.add_argument("--store", default="sqlite", help="sqlite, influx or influx://H:P/DB")
    parser.add_argument("--ingest-workers", type=int, default=1)
    parser.add_argument("--api", help="target a running stack's API instead of starting one")
    parser.add_argument("--mqtt-url", help="the running stack's broker (with --api)")
    parser.add_argument(
        "--target-store", help="the running stack's store URL (with --api): sqlite:///PATH"
    )
    parser.add_argument("--mix", default="gas=10,event=1,station=4,meter=1")
    parser.add_argument("--meter-batch", type=int, default=48, help="readings per meter upload")
    parser.add_argument("--meters", type=int, default=20_000, help="registry meters")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    parser.add_argument("--connections", type=int, default=2, help="connections per publisher")
    parser.add_argument("--window", type=int, default=500, help="QoS 1 messages in flight")
    parser.add_argument("--alarm-rate", type=float, default=4.0, help="alarms per second")
    parser.add_argument("--workdir", type=Path, help="where the stack keeps its data and logs")
    parser.add_argument("--json", type=Path, help="write the result as JSON")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Lifeline setting for the stack, e.g. store_batch_size=5000 (repeatable)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the Lifeline processes (WORKDIR/*.prof)"
    )
    parser.add_argument(
        "--notify",
        action="store_true",
        help="also route critical alerts to a loopback webhook and report publish -> POST",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--peers",
        action="store_true",
        help="instead: Lifeline side by side with Node-RED and a bare paho subscriber"
        " (lifeline bench --peers --help)",
    )
    return parser


def _drill_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifeline drill",
        description="fault drills; exit 1 if anything is lost or duplicated",
        epilog="\n".join(f"{d.name}: {d.summary}" for d in DRILLS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", choices=[*DRILLS, "all"])
    parser.add_argument("--short", action="store_true", help="the test-suite form")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-progress", action="store_true")
    return parser


def _options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        duration_s=args.duration,
        plan=RatePlan.constant(args.rate),
        mix=Mix.parse(args.mix, args.meter_batch),
        publishers=args.publishers,
        connections=args.connections,
        window=args.window,
        alarm_rate=args.alarm_rate,
        meters=args.meters,
        progress=not args.no_progress,
    )


async def _bench(args: argparse.Namespace, workdir: Path) -> RunResult:
    options = _options(args)
    name = f"bench {args.broker}/{args.store}/{args.ingest_workers} ingest"
    if args.api:
        if not args.mqtt_url or not args.target_store:
            raise SystemExit("--api needs --mqtt-url and --target-store")
        target = Target.external(args.api, args.mqtt_url, args.target_store)
        return await run_load(name, target, options)
    env = [_setting(text) for text in args.set]
    async with contextlib.AsyncExitStack() as exits:
        sink = None
        if args.notify:
            sink = await exits.enter_async_context(WebhookSink().serving())
            notify_file = await asyncio.to_thread(sink.notify_file, workdir)
            env.append(("LIFELINE_NOTIFY_FILE", str(notify_file)))
        stack_options = StackOptions(
            workdir,
            broker=args.broker,
            store=args.store,
            ingest_workers=args.ingest_workers,
            meters=args.meters,
            env=tuple(env),
            profile=args.profile,
        )
        stack = exits.enter_context(Stack(stack_options))
        return await run_load(name, stack.target(), options, stack.pids, notify=sink)


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise SystemExit(f"--set expects NAME=VALUE, not {text!r}")
    return f"LIFELINE_{name.upper()}", value


def _workdir(given: Path | None) -> Path:
    return given if given is not None else Path(tempfile.mkdtemp(prefix="lifeline-bench-"))


def bench_main(argv: Sequence[str]) -> int:
    if "--peers" in argv:
        from bench.peers.cli import main as peers_main  # its own options

        return peers_main([a for a in argv if a != "--peers"])
    args = _bench_parser().parse_args(argv)
    workdir = _workdir(args.workdir)
    result = asyncio.run(_bench(args, workdir))
    print(format_result(result))
    print(f"stack data and logs: {workdir}")
    if args.json:
        write_json(args.json, [result])
    return 0 if result.ok else 1


def drill_main(argv: Sequence[str]) -> int:
    args = _drill_parser().parse_args(argv)
    workdir = _workdir(args.workdir)
    names = list(DRILLS) if args.name == "all" else [args.name]
    results: list[RunResult] = []
    failed = 0
    for name in names:
        outcome = asyncio.run(
            run_drill(name, workdir / name, short=args.short, progress=not args.no_progress)
        )
        results.append(outcome.result)
        print(format_result(outcome.result))
        for problem in outcome.problems:
            print(f"PROBLEM  {problem}")
        print()
        failed += not outcome.ok
    if args.json:
        write_json(args.json, results)
    print(f"{len(names) - failed} of {len(names)} drills passed; data and logs: {workdir}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``bench ARGS`` or ``drill ARGS``."""
    logging.basicConfig(level=logging.WARNING)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("bench", "drill"):
        print("usage: python -m bench.cli {bench,drill} ...", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    return bench_main(rest) if command == "bench" else drill_main(rest)


if __name__ == "__main__":
    sys.exit(main())
