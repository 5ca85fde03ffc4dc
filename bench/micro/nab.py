"""NAB benchmark of ``lifeline detect``: run it over the split, score with nabscore.py.

    .venv/bin/python -m bench.micro.nab [--nab /work/shared/nab] [--config RULES]

Prints the detector's points/s and the standard / low-FP / low-FN scores with the
threshold optimised by the scorer and with the SHIPPED fixed threshold.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from alerts.detect_cli import run_detect
from alerts.detectors.config import load_anomaly_config

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nab", type=Path, default=Path("/work/shared/nab"))
    ap.add_argument("--config", type=Path, default=None)
    args = ap.parse_args(argv)
    threshold = load_anomaly_config(args.config).threshold
    with tempfile.TemporaryDirectory() as tmp:
        stats = run_detect(args.nab / "data", Path(tmp), args.config)
        print(
            f"detect: {stats.files} files, {stats.points} points, {stats.seconds:.2f} s, "
            f"{stats.points_per_s:,.0f} points/s"
        )
        base = [
            sys.executable,
            str(args.nab / "nabscore.py"),
            "--data",
            str(args.nab / "data"),
            "--labels",
            str(args.nab / "labels.json"),
            "--results",
            tmp,
        ]
        print("\n== optimised threshold")
        subprocess.run(base, check=True)
        print(f"\n== shipped fixed threshold {threshold}")
        subprocess.run([*base, "--fixed-threshold", str(threshold)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
