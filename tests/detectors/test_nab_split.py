"""The shipped configuration meets issue 4's targets on the NAB development split."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alerts.detect_cli import run_detect
from alerts.detectors.config import load_anomaly_config

NAB = Path("/work/shared/nab")


def test_shipped_threshold_scores_at_least_65_standard_and_55_low_fp(tmp_path: Path) -> None:
    assert (NAB / "nabscore.py").is_file(), "the NAB split (/work/shared/nab) must be available"
    threshold = load_anomaly_config().threshold
    stats = run_detect(NAB / "data", tmp_path, None, progress=False)
    assert stats.files == 44
    out = subprocess.run(
        [
            sys.executable,
            str(NAB / "nabscore.py"),
            "--data",
            str(NAB / "data"),
            "--labels",
            str(NAB / "labels.json"),
            "--results",
            str(tmp_path),
            "--fixed-threshold",
            str(threshold),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    scores = json.loads(out)
    assert scores["standard"]["normalized"] >= 65.0
    assert scores["reward_low_FP_rate"]["normalized"] >= 55.0
