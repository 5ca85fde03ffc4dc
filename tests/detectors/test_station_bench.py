"""The 1 Hz station benchmark (bench/micro/station_mv.py) meets issue 14's target."""

from __future__ import annotations

from pathlib import Path

from bench.micro.station_mv import run_bench


def test_faults_flagged_within_60_records_at_a_far_of_at_most_20_percent(tmp_path: Path) -> None:
    b = run_bench(tmp_path, runs=20)
    assert b.detected_within["pump"] == 1.0
    assert b.detected_within["valve"] == 1.0
    assert b.detected_within["leak"] >= 0.8
    assert b.far_runs <= 0.2  # fault-free runs with any alert row
    assert b.far_records <= 0.02
    assert b.pre_fault_runs <= 1
