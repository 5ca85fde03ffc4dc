"""Seeded 1 Hz runs of one heat-exchange station, fault-free or with one station fault.

For the multivariate detector's benchmark (``bench/micro/station_mv.py``): each run is
``records`` rows of the station's telemetry (:class:`~simulators.heating.StationSim`
reporting every second, its own noise, weather and biases) as a table: ``timestamp``
(epoch ms) and every numeric field. A faulty run has one fault that starts at record
``fault_at`` and lasts to the end; magnitudes are drawn per run (``severity`` 0.5-1):

- ``pump`` — the secondary circulation pump degrades or trips: secondary flow falls by
  up to 60 % x severity within ~10 s, the pump's head (secondary supply pressure) by up
  to 0.08 MPa, and the secondary return cools as the loop's delta-T opens (~2 min).
- ``valve`` — the primary control valve sticks part-closed: primary flow falls by up to
  40 % x severity within ~20 s, then the secondary supply (and primary return) cool with
  a 90 s time constant (up to 5 K / 3 K).
- ``leak`` — a secondary-side leak: both secondary pressures sink towards 0.1 MPa x
  severity below normal with a 5 min time constant, and the make-up water meter
  (cumulative) runs faster by 1.5-3 t/h.

All other values stay as the simulator made them. ``fault_free_run`` / ``faulty_run``
build one run; :func:`write_runs` writes a directory of CSVs plus ``truth.json``.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec

from lifeline.core.registry import Station
from simulators.heating import StationSim, Weather

__all__ = ["COLUMNS", "FAULTS", "Run", "fault_free_run", "faulty_run", "write_runs"]

FAULTS: Final = ("pump", "valve", "leak")
START_MS: Final = 1_767_225_600_000  # 2026-01-01 00:00 UTC (heating season)
COLUMNS: Final = (
    "primary_supply_temp_c",
    "primary_return_temp_c",
    "primary_supply_pressure_mpa",
    "primary_return_pressure_mpa",
    "primary_flow_t_h",
    "secondary_supply_temp_c",
    "secondary_return_temp_c",
    "secondary_supply_pressure_mpa",
    "secondary_return_pressure_mpa",
    "secondary_flow_t_h",
    "heat_gj",
    "makeup_water_t",
    "outdoor_temp_c",
    "indoor_temp_c",
)


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    fault: str | None  # None: fault-free
    fault_at: int | None  # first faulty record
    ts_ms: list[int]
    rows: list[dict[str, float]]


def _station(rng: random.Random, n: int) -> Station:
    return Station(
        id=f"HEAT-900-S{n:02d}",
        enterprise_id="HEAT-900",
        name=f"bench station {n}",
        district="bench",
        lat=0.0,
        lon=0.0,
        area_m2=rng.uniform(20_000.0, 120_000.0),
    )


def _telemetry(seed: int, records: int) -> tuple[list[int], list[dict[str, float]]]:
    rng = random.Random(f"station-run:{seed}")
    start = START_MS + rng.randrange(0, 60) * 86_400_000 + rng.randrange(0, 86_400_000)
    sim = StationSim(
        _station(rng, seed % 100), seed, start, period_s=1.0, weather=Weather(seed // 100)
    )
    ts: list[int] = []
    rows: list[dict[str, float]] = []
    while len(rows) < records:
        due = sim.next_due_ms()
        assert due is not None
        for emission in sim.emit(due):
            payload = msgspec.json.decode(emission.payload)
            ts.append(int(payload["ts"]))
            rows.append({c: float(payload[c]) for c in COLUMNS})
    return ts, rows


def _rise(seconds: float, tau_s: float) -> float:
    return 1.0 - math.exp(-max(0.0, seconds) / tau_s)


def _apply(fault: str, row: dict[str, float], s: float, sev: float, extra: float) -> None:
    """Mutate ``row`` ``s`` seconds into ``fault`` of severity ``sev``."""
    if fault == "pump":
        g = _rise(s, 4.0)
        row["secondary_flow_t_h"] *= 1.0 - 0.6 * sev * g
        row["secondary_supply_pressure_mpa"] -= 0.08 * sev * g
        row["secondary_return_pressure_mpa"] -= 0.02 * sev * g
        row["secondary_return_temp_c"] -= 4.0 * sev * _rise(s, 120.0)
    elif fault == "valve":
        g = _rise(s, 8.0)
        row["primary_flow_t_h"] *= 1.0 - 0.4 * sev * g
        row["secondary_supply_temp_c"] -= 5.0 * sev * _rise(s, 90.0)
        row["primary_return_temp_c"] -= 3.0 * sev * _rise(s, 90.0)
    elif fault == "leak":
        g = _rise(s, 300.0)
        row["secondary_supply_pressure_mpa"] -= 0.1 * sev * g
        row["secondary_return_pressure_mpa"] -= 0.1 * sev * g
        row["makeup_water_t"] += extra
    else:
        raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")


def fault_free_run(seed: int, records: int = 1200) -> Run:
    ts, rows = _telemetry(seed, records)
    return Run(f"free-{seed:03d}", None, None, ts, rows)


def faulty_run(seed: int, fault: str, records: int = 1200) -> Run:
    """A run whose fault starts at a record drawn in [40 %, 60 %] of the run."""
    ts, rows = _telemetry(seed, records)
    rng = random.Random(f"station-fault:{seed}:{fault}")
    at = rng.randrange(int(0.4 * records), int(0.6 * records))
    sev = rng.uniform(0.5, 1.0)
    leak_t_per_s = rng.uniform(1.5, 3.0) / 3600.0
    extra = 0.0
    for i in range(at, records):
        dt_s = (ts[i] - ts[i - 1]) / 1000.0 if i > at else 0.0
        extra += leak_t_per_s * dt_s
        row = rows[i]
        _apply(fault, row, (ts[i] - ts[at]) / 1000.0, sev, extra)
        for key, value in row.items():
            row[key] = round(value, 3)
    return Run(f"{fault}-{seed:03d}", fault, at, ts, rows)


def write_runs(directory: Path, runs: list[Run]) -> None:
    """``<name>.csv`` per run (``timestamp`` + :data:`COLUMNS`) and ``truth.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    truth = {}
    for run in runs:
        lines = [",".join(("timestamp", *COLUMNS))]
        for t, row in zip(run.ts_ms, run.rows, strict=True):
            lines.append(",".join([str(t), *(repr(row[c]) for c in COLUMNS)]))
        (directory / f"{run.name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        truth[run.name] = {"fault": run.fault, "fault_at": run.fault_at, "records": len(run.rows)}
    (directory / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
