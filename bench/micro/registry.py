"""Memory and load time of the device registry at the city's size.

    .venv/bin/python -m bench.micro.registry [--meters 1450000] [--keep DIR]

Saves the demo registry with ``--meters`` meters (plus the 525 channels, 134 enterprises
and their stations) to a SQLite registry store, then loads it back in a fresh process
(``python -m bench.micro.registry --load DB``) and prints: load time, the process's
resident-memory growth over the load, bytes per meter, and the duration of a full
garbage collection afterwards (what the event loop would stall for if the entities were
tracked by the cyclic collector). Figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lifeline.core.registry import Registry
from lifeline.seed import generate_registry
from store.sqlite_registry import SqliteRegistryStore

__all__ = ["main"]

_PAGE = 4096


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


async def _save(db: Path, meters: int) -> None:
    store = SqliteRegistryStore(db)
    try:
        await store.save(generate_registry(meters=meters))
    finally:
        await store.close()


async def _load(db: Path) -> Registry:
    store = SqliteRegistryStore(db)
    try:
        registry = await store.load()
    finally:
        await store.close()
    assert registry is not None, f"no registry in {db}"
    return registry


def _measure_load(db: Path) -> dict[str, float]:
    """In this (fresh) process: load, then time one full collection."""
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    registry = asyncio.run(_load(db))  # held while measured
    loaded_s = time.perf_counter() - started
    grown = _rss_mib() - before
    started = time.perf_counter()
    gc.collect()
    full_gc_ms = (time.perf_counter() - started) * 1000
    meters = len(registry.meters)
    return {
        "meters": meters,
        "load_s": round(loaded_s, 2),
        "rss_growth_mib": round(grown, 1),
        "bytes_per_meter": round(grown * 2**20 / max(1, meters)),
        "full_gc_ms": round(full_gc_ms, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.micro.registry")
    parser.add_argument("--meters", type=int, default=1_450_000)
    parser.add_argument("--keep", type=Path, help="directory for the registry database")
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)  # the measuring child
    args = parser.parse_args(argv)
    if args.load is not None:
        print(json.dumps(_measure_load(args.load)))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        db = (args.keep or Path(scratch)) / "registry.db"
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        asyncio.run(_save(db, args.meters))
        print(f"saved {args.meters:,} meters in {time.perf_counter() - started:.1f} s")
        child = subprocess.run(
            [sys.executable, "-m", "bench.micro.registry", "--load", str(db)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout)
    print(
        f"loaded {figures['meters']:,} meters in {figures['load_s']} s; "
        f"RSS +{figures['rss_growth_mib']} MiB ({figures['bytes_per_meter']} B/meter); "
        f"full GC afterwards {figures['full_gc_ms']} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
