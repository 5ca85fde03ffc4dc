"""`lifeline detect` end to end on a small synthetic directory."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from alerts.detect_cli import main, run_detect
from tests.detectors.conftest import DAY, noise, times


def _write(path: Path, sep: str, time_col: str, columns: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ts = times(len(next(iter(columns.values())))).astype("datetime64[ms]")
    lines = [sep.join([time_col, *columns])]
    for i, t in enumerate(ts):
        stamp = str(t).replace("T", " ")
        lines.append(sep.join([stamp, *(f"{c[i]:.4f}" for c in columns.values())]))
    path.write_text("\n".join(lines) + "\n")


def _read(path: Path, sep: str) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh, delimiter=sep))


def test_detect_scores_every_csv_with_both_separators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, results = tmp_path / "data", tmp_path / "results"
    a = noise(3 * DAY)
    a[2 * DAY] += 30.0
    b1, b2 = noise(3 * DAY, seed=3), noise(3 * DAY, seed=4)
    b2[2 * DAY + 10] -= 30.0
    _write(data / "a.csv", ",", "timestamp", {"value": a})
    _write(data / "sub" / "b.csv", ";", "datetime", {"t1": b1, "t2": b2})
    config = tmp_path / "rules.yaml"
    config.write_text("anomaly:\n  cooldown_records: 576\n")

    assert main([str(data), str(results), "--config", str(config), "--quiet"]) == 0
    assert "points/s" in capsys.readouterr().out

    rows_a = _read(results / "a.csv", ",")
    assert list(rows_a[0]) == ["timestamp", "value", "anomaly_score", "alert"]
    assert len(rows_a) == len(a)
    alerts_a = [i for i, r in enumerate(rows_a) if r["alert"] == "1"]
    assert len(alerts_a) == 1
    assert 2 * DAY <= alerts_a[0] <= 2 * DAY + 2  # the likelihood's short mean: <= 2 records
    assert all(0.0 <= float(r["anomaly_score"]) <= 1.0 for r in rows_a)

    rows_b = _read(results / "sub" / "b.csv", ";")
    assert list(rows_b[0]) == ["datetime", "t1", "t2", "anomaly_score", "alert"]
    assert len(rows_b) == len(b1)
    alerts_b = [i for i, r in enumerate(rows_b) if r["alert"] == "1"]
    assert len(alerts_b) == 1
    assert 2 * DAY + 10 <= alerts_b[0] <= 2 * DAY + 12
    assert rows_b[5]["t2"] == f"{b2[5]:.4f}"  # input columns copied as they were


def test_detect_reports_throughput(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "x.csv", ",", "timestamp", {"value": noise(DAY)})
    stats = run_detect(tmp_path / "d", tmp_path / "r", None, progress=False)
    assert stats.files == 1
    assert stats.points == DAY
    assert stats.points_per_s > 0


def test_detect_multivariate_writes_timestamp_score_alert_per_row(tmp_path: Path) -> None:
    from simulators.station_runs import faulty_run, write_runs

    run = faulty_run(21, "pump")
    assert run.fault_at is not None
    write_runs(tmp_path / "data", [run])
    (tmp_path / "data" / "truth.json").unlink()
    assert main(["--multivariate", str(tmp_path / "data"), str(tmp_path / "out"), "--quiet"]) == 0
    rows = _read(tmp_path / "out" / f"{run.name}.csv", ",")
    assert list(rows[0]) == ["timestamp", "anomaly_score", "alert"]
    assert [int(r["timestamp"]) for r in rows] == run.ts_ms
    alert = [r["alert"] == "1" for r in rows]
    assert not any(alert[: run.fault_at])
    assert any(alert[run.fault_at : run.fault_at + 60])
    assert all(0.0 <= float(r["anomaly_score"]) <= 1.0 for r in rows)


def test_detect_multivariate_refuses_a_single_column(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "x.csv", ",", "timestamp", {"value": noise(DAY)})
    assert main(["--multivariate", str(tmp_path / "d"), str(tmp_path / "r"), "--quiet"]) == 2
