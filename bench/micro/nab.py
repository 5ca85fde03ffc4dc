"""NAB benchmark of ``lifeline detect``: run it over the split, score with nabscore.py.

    .venv/bin/python -m bench.micro.nab [--nab /work/shared/nab] [--config RULES]
    .venv/bin/python -m bench.micro.nab --cv [--nab ...] [--config RULES]

Without ``--cv``: the detector's points/s and the standard / low-FP / low-FN scores of
the whole split with the threshold optimised by the scorer and with the SHIPPED fixed
threshold (in-sample figures: the split is where the detector was developed).

With ``--cv``: leave-one-category-out cross-validation (bench/micro/nab_cv.py): the
per-fold table, the mean held-out-category score (the figure to report), the in-sample
scores beside it, and whether the shipped configuration is the one the folds chose.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from alerts.detect_cli import run_detect
from alerts.detectors.config import load_anomaly_config
from bench.micro.nab_cv import NO_WINDOWS, CrossValidation, cross_validate
from bench.micro.nab_split import PROFILES, load_split

__all__ = ["main", "print_cv"]

_SHORT = {"standard": "std", "reward_low_FP_rate": "lowFP", "reward_low_FN_rate": "lowFN"}


def _setting(setting: tuple[tuple[str, float], ...]) -> str:
    return " ".join(f"{k}={v:g}" for k, v in setting)


def print_cv(cv: CrossValidation, shipped: tuple[tuple[str, float], ...]) -> None:
    print("leave-one-category-out (settings chosen on the other four categories)")
    head = " ".join(f"{_SHORT[p]:>6s}" for p in PROFILES)
    print(
        f"{'held-out category':24s} {head} {'windows':>8s} {'FP rows':>8s}"
        "  chosen on 4  (train std)"
    )
    for f in cv.folds:
        std = f.held["standard"]
        if f.held_out == NO_WINDOWS:
            cells = " ".join(f"{'n/a':>6s}" for _ in PROFILES)
        else:
            cells = " ".join(f"{f.held[p].normalized:6.1f}" for p in PROFILES)
        print(
            f"{f.held_out:24s} {cells} {std.windows_hit:>3d}/{std.windows:<4d} {std.fp_rows:8d}"
            f"  {_setting(f.chosen)}  ({f.train_standard:.1f})"
        )
    means = " ".join(f"{cv.mean(p):6.1f}" for p in PROFILES)
    print(f"{'MEAN held-out (4 with windows)':24s} {means}   <- the cross-validated figure")
    print("\nin-sample, shipped configuration (beside it, not instead of it)")
    for cat, res in cv.in_sample.items():
        cells = " ".join(
            f"{'n/a':>6s}" if cat == NO_WINDOWS else f"{res[p].normalized:6.1f}" for p in PROFILES
        )
        std = res["standard"]
        print(f"{cat:24s} {cells} {std.windows_hit:>3d}/{std.windows:<4d} {std.fp_rows:8d}")
    consensus = cv.consensus
    same = dict(consensus) == dict(shipped)
    print(
        f"\nfolds' consensus: {_setting(consensus)}; shipped: {_setting(shipped)}"
        f" ({'the same' if same else 'DIFFERENT'})"
    )


def _in_sample(nab: Path, config: Path | None) -> None:
    threshold = load_anomaly_config(config).threshold
    with tempfile.TemporaryDirectory() as tmp:
        stats = run_detect(nab / "data", Path(tmp), config, progress=False)
        print(
            f"detect: {stats.files} files, {stats.points} points, {stats.seconds:.2f} s, "
            f"{stats.points_per_s:,.0f} points/s"
        )
        base = [
            sys.executable,
            str(nab / "nabscore.py"),
            "--data",
            str(nab / "data"),
            "--labels",
            str(nab / "labels.json"),
            "--results",
            tmp,
        ]
        print("\n== optimised threshold (in-sample)")
        subprocess.run(base, check=True)
        print(f"\n== shipped fixed threshold {threshold} (in-sample)")
        subprocess.run([*base, "--fixed-threshold", str(threshold)], check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nab", type=Path, default=Path("/work/shared/nab"))
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--cv", action="store_true", help="leave-one-category-out cross-validation")
    args = ap.parse_args(argv)
    if not args.cv:
        _in_sample(args.nab, args.config)
        return 0
    cfg = load_anomaly_config(args.config)
    cv = cross_validate(load_split(args.nab), cfg)
    shipped = tuple((k, float(getattr(cfg, k))) for k, _ in cv.folds[0].chosen)
    print_cv(cv, shipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
