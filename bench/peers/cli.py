"""``lifeline bench --peers`` (also ``python -m bench.peers``): arguments, the run loop.

    lifeline bench --peers [--mix gateway,alarm,meter] [--variants lifeline,node-red,floor]
                           [--scale 1.0 | --messages N] [--publishers 2] [--json PATH]

For each mix, one variant at a time, each on its own fresh Mosquitto and InfluxDB.
Exit status 0 when every variant stored exactly what was published, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final, TypeVar

from bench.peers.measure import MeasureOptions, VariantResult, measure
from bench.peers.mixes import MixName, PeerTraffic
from bench.peers.nodered import install
from bench.peers.report import format_table, write_json
from bench.peers.variants import VariantName, start
from lifeline.seed import generate_registry

__all__ = ["DEFAULT_MESSAGES", "main", "run"]

# about a minute of Lifeline per mix on a 2-core machine
DEFAULT_MESSAGES: Final = {MixName.GATEWAY: 10_000, MixName.ALARM: 200_000, MixName.METER: 10_000}


_Name = TypeVar("_Name", MixName, VariantName)


def _names(kind: type[_Name], text: str) -> list[_Name]:
    try:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise SystemExit(f"{error}; choose from {', '.join(k.value for k in kind)}") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lifeline bench --peers",
        description="the same messages through Lifeline, a Node-RED flow and a bare paho"
        " subscriber, one at a time: rate and consumer CPU per record",
    )
    p.add_argument("--mix", default="gateway,alarm,meter", help="gateway, alarm, meter")
    p.add_argument("--variants", default="lifeline,node-red,floor")
    p.add_argument("--scale", type=float, default=1.0, help="times the default message counts")
    p.add_argument("--messages", type=int, help="messages per mix (overrides --scale)")
    p.add_argument("--publishers", type=int, default=2, help="publisher processes")
    p.add_argument("--window", type=int, default=1000, help="unacked messages per publisher")
    p.add_argument("--meters", type=int, default=20_000, help="registry meters")
    p.add_argument("--stall", type=float, default=60.0, help="s without progress = give up")
    p.add_argument("--workdir", type=Path, help="services' data and logs (default: a temp dir)")
    p.add_argument("--node-red-dir", type=Path, help="an existing npm install to reuse")
    p.add_argument("--json", type=Path, help="write the results as JSON")
    p.add_argument("--no-progress", action="store_true")
    return p


def _first_line(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        return "not installed"
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def versions(node_red: str | None) -> dict[str, str]:
    found = {
        "lifeline": importlib.metadata.version("lifeline"),
        "paho-mqtt": importlib.metadata.version("paho-mqtt"),
        "influxd": _first_line(["influxd", "version"]),
        "mosquitto": _first_line(["mosquitto", "-h"]),
    }
    if node_red is not None:
        found["node"] = _first_line(["node", "--version"])
        found["node-red"] = node_red
    return found


def run(
    mixes: Sequence[MixName],
    variants: Sequence[VariantName],
    messages: dict[MixName, int],
    workdir: Path,
    options: MeasureOptions,
    meters: int = 20_000,
    node_red_dir: Path | None = None,
) -> list[VariantResult]:
    """Every variant on every mix, one at a time; the results in that order."""
    registry = generate_registry(meters=meters)
    results = []
    for mix in mixes:
        traffic = PeerTraffic.of(mix, messages[mix], registry)
        for variant in variants:
            where = workdir / mix.value / variant.value
            with start(variant, where, meters=meters, node_red_dir=node_red_dir) as running:
                result = asyncio.run(measure(running, traffic, options))
            results.append(result)
            if options.progress:
                print(f"{mix}/{variant}: {_summary(result)}", file=sys.stderr)
    return results


def _summary(r: VariantResult) -> str:
    return (
        f"{r.records_per_s:,.0f} rec/s, {r.messages_per_s:,.0f} msg/s, {r.us_per_record:.1f} µs"
        f" CPU/record, stored {r.stored:,} of {r.records:,}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    mixes = _names(MixName, args.mix)
    variants = _names(VariantName, args.variants)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lifeline-peers-"))
    node_red = None
    node_red_dir = args.node_red_dir or workdir / "node-red-install"
    if VariantName.NODE_RED in variants:
        print(f"installing Node-RED into {node_red_dir} ...", file=sys.stderr)
        node_red = install(node_red_dir)
    messages = {
        mix: args.messages or max(1, round(DEFAULT_MESSAGES[mix] * args.scale)) for mix in mixes
    }
    options = MeasureOptions(
        publishers=args.publishers,
        window=args.window,
        stall_s=args.stall,
        progress=not args.no_progress,
    )
    results = run(mixes, variants, messages, workdir, options, args.meters, node_red_dir)
    print(format_table(results))
    print(f"data and logs: {workdir}")
    if args.json:
        write_json(args.json, results, versions(node_red))
    failed = [r for r in results if r.lost or r.duplicated or not r.sums_match]
    return 1 if failed else 0
