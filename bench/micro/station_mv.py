"""1 Hz station benchmark of ``lifeline detect --multivariate`` on simulated runs.

    .venv/bin/python -m bench.micro.station_mv [--runs 30] [--records 1200] [--keep DIR]

Writes ``runs`` fault-free runs and ``runs`` runs of each fault (pump, valve, leak;
simulators/station_runs.py, seeds 1..runs: the detector's defaults were developed on
seeds from 1000 on, never on these) as CSVs, runs the command's code path over them
and reads its output back. Reports, with the shipped defaults:

- per fault: the share detected within 60 records of its start, and the delay
  (records from the fault's first record to the first alert row at or after it);
- **FAR (runs)**: the share of fault-free runs with any alert row: what an operator
  lives with, one false alarm per run counts as much as a hundred rows;
- **FAR (records)**: alert rows / normal rows after learning (fault-free runs and the
  part of faulty runs before the fault): the pointwise rate a rig benchmark reports;
- pointwise precision / recall / F1 over the faulty runs (rows from the fault on are
  anomalous), for comparison with rig benchmarks.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alerts.detect_cli import run_detect_multivariate
from alerts.detectors.multivariate import MultivariateConfig
from simulators.station_runs import FAULTS, fault_free_run, faulty_run, write_runs

__all__ = ["StationBench", "main", "run_bench"]

WITHIN = 60  # records


@dataclass(frozen=True, slots=True)
class StationBench:
    runs: int
    detected_within: dict[str, float]  # fault -> share detected within WITHIN records
    delays: dict[str, list[int]]  # fault -> delay per run (-1: never)
    far_runs: float
    far_records: float
    pre_fault_runs: int  # faulty runs alerting before their fault
    precision: float
    recall: float
    f1: float
    points_per_s: float


def _alerts(path: Path) -> np.ndarray:
    with path.open() as fh:
        return np.array([r["alert"] == "1" for r in csv.DictReader(fh)], dtype=bool)


def run_bench(directory: Path, runs: int = 30, records: int = 1200) -> StationBench:
    data, results = directory / "data", directory / "results"
    made = [fault_free_run(s, records) for s in range(1, runs + 1)]
    made += [faulty_run(s, f, records) for f in FAULTS for s in range(1, runs + 1)]
    write_runs(data, made)
    stats = run_detect_multivariate(data, results, None, progress=False)
    learn = MultivariateConfig().learn_records
    truth = json.loads((data / "truth.json").read_text())
    delays: dict[str, list[int]] = {f: [] for f in FAULTS}
    free_alerting = 0
    normal_rows = normal_alerts = 0
    tp = fp = fn = 0
    pre = 0
    for name, t in truth.items():
        alert = _alerts(results / f"{name}.csv")
        at = t["fault_at"] if t["fault"] else len(alert)
        normal_rows += max(0, at - learn)
        normal_alerts += int(alert[learn:at].sum())
        if t["fault"] is None:
            free_alerting += bool(alert.any())
            continue
        pre += bool(alert[:at].any())
        hits = np.flatnonzero(alert[at:])
        delays[t["fault"]].append(int(hits[0]) if len(hits) else -1)
        tp += int(alert[at:].sum())
        fn += int((~alert[at:]).sum())
        fp += int(alert[:at].sum())
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return StationBench(
        runs,
        {f: float(np.mean([0 <= d <= WITHIN for d in ds])) for f, ds in delays.items()},
        delays,
        free_alerting / runs,
        normal_alerts / max(normal_rows, 1),
        pre,
        precision,
        recall,
        2 * precision * recall / max(precision + recall, 1e-12),
        stats.points_per_s,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="fault-free runs, and runs per fault")
    ap.add_argument("--records", type=int, default=1200, help="records per run (1 Hz)")
    ap.add_argument("--keep", type=Path, default=None, help="keep data and results here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        b = run_bench(args.keep or Path(tmp), args.runs, args.records)
    print(f"{b.runs} fault-free runs and {b.runs} per fault, {args.records} records at 1 Hz")
    for f in FAULTS:
        found = [d for d in b.delays[f] if d >= 0]
        median = f"{np.median(found):.0f}" if found else "-"
        worst = f"{max(found)}" if found else "-"
        print(
            f"  {f:6s} detected within {WITHIN} records: {b.detected_within[f]:5.0%}"
            f"  delay median {median} / max {worst} records, missed {len(b.delays[f]) - len(found)}"
        )
    print(f"  FAR (fault-free runs with any alert): {b.far_runs:.0%}")
    print(f"  FAR (normal records after learning alerting): {b.far_records:.2%}")
    print(f"  faulty runs alerting before their fault: {b.pre_fault_runs}")
    print(
        f"  pointwise on faulty runs: precision {b.precision:.2f} recall {b.recall:.2f}"
        f" F1 {b.f1:.2f}"
    )
    print(f"  {b.points_per_s:,.0f} points/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
