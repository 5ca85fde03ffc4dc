"""The shipped configuration, cross-validated leave-one-category-out on the NAB split.

THE figure is the mean held-out-category score (bench/micro/nab_cv.py): every fold chooses
its settings on the other four categories. The in-sample score is not what is pinned.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alerts.detect_cli import run_detect
from alerts.detectors.config import load_anomaly_config
from bench.micro.nab_cv import NO_WINDOWS, CrossValidation, cross_validate, run_detector
from bench.micro.nab_split import Split, load_split

NAB = Path("/work/shared/nab")


@pytest.fixture(scope="module")
def split() -> Split:
    assert (NAB / "nabscore.py").is_file(), "the NAB split (/work/shared/nab) must be available"
    return load_split(NAB)


@pytest.fixture(scope="module")
def cv(split: Split) -> CrossValidation:
    return cross_validate(split, load_anomaly_config())


def test_cross_validated_score_is_at_least_65_standard_and_60_low_fp(cv: CrossValidation) -> None:
    assert [f.held_out for f in cv.folds] == [
        "artificialNoAnomaly",
        "artificialWithAnomaly",
        "realAWSCloudwatch",
        "realAdExchange",
        "realTweets",
    ]
    assert cv.mean("standard") >= 65.0
    assert cv.mean("reward_low_FP_rate") >= 60.0
    assert cv.mean("reward_low_FN_rate") >= 68.0


def test_the_category_without_anomalies_raises_nothing_when_held_out(cv: CrossValidation) -> None:
    fold = next(f for f in cv.folds if f.held_out == NO_WINDOWS)
    assert fold.held["standard"].fp_rows == 0


def test_shipped_defaults_are_the_folds_choice(cv: CrossValidation) -> None:
    cfg = load_anomaly_config()
    assert {k: getattr(cfg, k) for k, _ in cv.consensus} == dict(cv.consensus)


def test_in_process_scores_equal_the_scorers_command_line(split: Split, tmp_path: Path) -> None:
    """The protocol scores in process; the split's nabscore.py CLI must agree."""
    cfg = load_anomaly_config()
    run_detect(NAB / "data", tmp_path, None, progress=False)
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
            str(cfg.threshold),
            "--files-glob",
            "realTweets/*",
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cli = json.loads(out)["standard"]
    mine = split.score(run_detector(split, cfg), split.rels(["realTweets"]), cfg.threshold)
    assert mine.normalized == pytest.approx(cli["normalized"], abs=1e-9)
    assert mine.windows_hit == cli["windows_detected"]
    assert mine.fp_rows == cli["fp_rows"]
