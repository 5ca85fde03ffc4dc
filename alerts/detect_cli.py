"""``lifeline detect [--multivariate] DATA_DIR RESULTS_DIR [--config FILE]``: score CSVs.

For every ``*.csv`` under DATA_DIR (a ``timestamp`` or ``datetime`` column plus numeric
columns, ``,`` or ``;`` separated, sniffed), writes RESULTS_DIR/<same relative path>
with the input columns plus ``anomaly_score`` (0-1) and ``alert`` (0/1), computed
causally by the combined detector (the batch path, equal to the streaming one). Several
numeric columns: each is scored as its own series and the row's score is the maximum;
``alert`` is ``anomaly_score >= threshold`` (each column alerts once per cool-down).
Prints the throughput (points = rows x numeric columns) at the end.

``--multivariate``: every numeric column of a file together is ONE series for
:class:`~alerts.detectors.multivariate.MultivariateDetector` (a station, a test rig);
writes RESULTS_DIR/<same relative path> with ``timestamp,anomaly_score,alert`` per row,
``alert`` being 1 while an alert holds (:mod:`alerts.detectors.hold`, in records).
``--config FILE``: its ``multivariate:`` section sets detector fields and its
``hold:`` section the hold fields (unknown fields are errors).
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec
import msgspec.yaml
import numpy as np

from alerts.detectors.components import combined_detector
from alerts.detectors.config import load_anomaly_config
from alerts.detectors.ewma import Array, IntArray
from alerts.detectors.hold import HoldConfig, hold
from alerts.detectors.multivariate import MultivariateConfig, MultivariateDetector
from lifeline.core.errors import ConfigError

__all__ = ["DetectStats", "main", "read_table", "run_detect", "run_detect_multivariate"]

log = logging.getLogger(__name__)

TIME_COLUMNS = ("timestamp", "datetime")


@dataclass(frozen=True, slots=True)
class Table:
    delimiter: str
    header: list[str]
    lines: list[str]  # data lines as read (no newline)
    ts_ms: IntArray
    columns: dict[str, Array]  # numeric columns


@dataclass(frozen=True, slots=True)
class DetectStats:
    files: int
    points: int
    seconds: float

    @property
    def points_per_s(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else float("inf")


def _parse_times(values: list[str]) -> IntArray:
    if all(v.strip().lstrip("-").isdigit() for v in values[:100]):
        return np.array([int(v) for v in values], dtype=np.int64)  # epoch ms
    cleaned = [v.strip().replace("T", " ").removesuffix("Z") for v in values]
    return np.array(cleaned, dtype="datetime64[ms]").astype(np.int64)


def read_table(path: Path) -> Table:
    """Parse one CSV; raises ``ValueError`` if it has no time or no numeric column."""
    text = path.read_text(encoding="utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError(f"{path}: empty")
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    tcol = next((i for i, h in enumerate(header) if h.lower() in TIME_COLUMNS), None)
    if tcol is None:
        raise ValueError(f"{path}: no timestamp/datetime column in {header}")
    ts = _parse_times([r[tcol] for r in body])
    columns: dict[str, Array] = {}
    for i, name in enumerate(header):
        if i == tcol:
            continue
        try:
            columns[name] = np.array([float(r[i]) for r in body], dtype=np.float64)
        except (ValueError, IndexError):
            log.info("detect_column_skipped", extra={"file": str(path), "column": name})
    if not columns:
        raise ValueError(f"{path}: no numeric column")
    return Table(delimiter, header, lines[1:], ts, columns)


def _bar(done: int, total: int, points: int, started: float) -> None:
    width = 30
    filled = width * done // max(total, 1)
    rate = points / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files {rate:,.0f} points/s"
    )
    sys.stderr.flush()


def run_detect(
    data_dir: Path, results_dir: Path, config: Path | None = None, progress: bool = True
) -> DetectStats:
    cfg = load_anomaly_config(config)
    detector = combined_detector(cfg)
    files = sorted(p for p in data_dir.rglob("*.csv") if p.is_file())
    points = 0
    started = time.perf_counter()
    for done, path in enumerate(files, 1):
        table = read_table(path)
        score = np.zeros(len(table.ts_ms))
        for values in table.columns.values():
            score = np.maximum(score, detector.scores(table.ts_ms, values))
            points += len(values)
        alert = score >= cfg.threshold
        out = results_dir / path.relative_to(data_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        d = table.delimiter
        body = [
            f"{ln}{d}{s!r}{d}{int(a)}"
            for ln, s, a in zip(table.lines, score.tolist(), alert.tolist(), strict=True)
        ]
        header = d.join([*table.header, "anomaly_score", "alert"])
        out.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
        if progress:
            _bar(done, len(files), points, started)
    stats = DetectStats(len(files), points, time.perf_counter() - started)
    if progress:
        sys.stderr.write("\n")
    return stats


class _MvFile(msgspec.Struct):
    multivariate: MultivariateConfig = msgspec.field(default_factory=MultivariateConfig)
    hold: HoldConfig = msgspec.field(default_factory=HoldConfig)


def _mv_config(path: Path | None) -> _MvFile:
    if path is None:
        return _MvFile()
    try:
        return msgspec.yaml.decode(path.read_bytes(), type=_MvFile)
    except (OSError, msgspec.DecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def run_detect_multivariate(
    data_dir: Path, results_dir: Path, config: Path | None = None, progress: bool = True
) -> DetectStats:
    """Each file's numeric columns as one series: ``timestamp,anomaly_score,alert``."""
    cfg = _mv_config(config)
    files = sorted(p for p in data_dir.rglob("*.csv") if p.is_file())
    points = 0
    started = time.perf_counter()
    for done, path in enumerate(files, 1):
        table = read_table(path)
        names = tuple(table.columns)
        if len(names) < 2:
            raise ValueError(f"{path}: --multivariate needs at least two numeric columns")
        matrix = np.column_stack([table.columns[c] for c in names])
        score = MultivariateDetector(names, cfg.multivariate).scores(table.ts_ms, matrix)
        alert = hold(score, cfg.hold)
        points += matrix.size
        time_col = next(h for h in table.header if h.lower() in TIME_COLUMNS)
        stamps = [ln.split(table.delimiter)[table.header.index(time_col)] for ln in table.lines]
        out = results_dir / path.relative_to(data_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        body = [
            f"{t},{s!r},{int(a)}"
            for t, s, a in zip(stamps, score.tolist(), alert.tolist(), strict=True)
        ]
        out.write_text("\n".join(["timestamp,anomaly_score,alert", *body]) + "\n", encoding="utf-8")
        if progress:
            _bar(done, len(files), points, started)
    if progress:
        sys.stderr.write("\n")
    return DetectStats(len(files), points, time.perf_counter() - started)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="lifeline detect", description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("results_dir", type=Path)
    ap.add_argument("--config", type=Path, help="rules YAML whose anomaly: section overrides")
    ap.add_argument(
        "--multivariate",
        action="store_true",
        help="all numeric columns of a file are one series; writes timestamp,anomaly_score,alert",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        run = run_detect_multivariate if args.multivariate else run_detect
        stats = run(args.data_dir, args.results_dir, args.config, not args.quiet)
    except (ConfigError, ValueError) as exc:
        print(f"lifeline detect: {exc}", file=sys.stderr)
        return 2
    print(
        f"{stats.files} files, {stats.points} points in {stats.seconds:.2f} s: "
        f"{stats.points_per_s:,.0f} points/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
