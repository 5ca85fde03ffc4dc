"""The NAB development split in memory, scored in process by its own ``nabscore.py``.

``load_split(nab_dir)`` reads every data file once and asks ``nabscore.load_file`` for its
windows, weights and probation (the scorer's own code, imported from the split, so the
figures are the ones its command line prints). ``Split.score(scores, rels, threshold,
profile)`` then scores any subset of files for any detector output without writing CSVs.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import json
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from alerts.detectors.ewma import Array, IntArray

__all__ = ["PROFILES", "NabFile", "Result", "Split", "load_split", "nabscore_module"]

PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def nabscore_module(nab: Path) -> ModuleType:
    """``nab/nabscore.py`` imported as a module (the scorer the split ships with)."""
    spec = importlib.util.spec_from_file_location("nabscore", nab / "nabscore.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(nab / "nabscore.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("nabscore", module)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True, slots=True)
class NabFile:
    rel: str  # "<category>/<name>.csv"
    ts_ms: IntArray
    values: Array
    probation: int  # rows the scorer ignores
    windows: int  # labelled windows
    scored: Any  # nabscore.FileData with zero scores (windows and weights)

    @property
    def category(self) -> str:
        return self.rel.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class Result:
    normalized: float
    raw: float
    threshold: float
    windows_hit: int
    windows: int
    fp_rows: int


@dataclass(frozen=True, slots=True)
class Split:
    nab: Path
    files: tuple[NabFile, ...]
    scorer: ModuleType

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({f.category for f in self.files}))

    def rels(self, categories: Iterable[str]) -> list[str]:
        wanted = set(categories)
        return [f.rel for f in self.files if f.category in wanted]

    def score(
        self,
        scores: Mapping[str, Array],
        rels: Iterable[str],
        threshold: float | None,
        profile: str = "standard",
    ) -> Result:
        """NAB's normalised score of ``rels`` (threshold None: the scorer optimises it)."""
        cost = self.scorer.PROFILES[profile]
        by_rel = {f.rel: f for f in self.files}
        chosen = [by_rel[r] for r in rels]
        data = [dataclasses.replace(f.scored, scores=scores[f.rel][f.probation :]) for f in chosen]
        if threshold is None:
            threshold, _ = self.scorer.optimise_threshold(data, cost)
        per_file = [self.scorer.score_file(d, threshold, cost) for d in data]
        raw = float(sum(p.score for p in per_file))
        scored_windows = sum(len(d.window_ids) for d in data)
        null = -cost["fn"] * scored_windows
        perfect = cost["tp"] * sum(f.windows for f in chosen)
        normalized = 100.0 * (raw - null) / (perfect - null) if perfect > null else float("nan")
        return Result(
            normalized,
            raw,
            float(threshold),
            sum(p.windows_hit for p in per_file),
            scored_windows,
            sum(p.fp_rows for p in per_file),
        )


def _read(path: Path) -> tuple[list[str], IntArray, Array]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    stamps = [r[0] for r in rows]
    ts = np.array([s.replace("T", " ") for s in stamps], dtype="datetime64[ms]").astype(np.int64)
    return stamps, ts, np.array([float(r[1]) for r in rows], dtype=np.float64)


def load_split(nab: Path) -> Split:
    scorer = nabscore_module(nab)
    labels: dict[str, list[list[str]]] = json.loads((nab / "labels.json").read_text())
    files: list[NabFile] = []
    with tempfile.TemporaryDirectory() as tmp:
        next_id = 0
        for rel in sorted(labels):
            stamps, ts, x = _read(nab / "data" / rel)
            out = Path(tmp) / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("timestamp,anomaly_score\n" + "".join(f"{s},0\n" for s in stamps))
            fd = scorer.load_file(
                rel, labels[rel], [nab / "data"], Path(tmp), None, scorer.PROBATION_PERCENT, next_id
            )
            next_id += fd.n_windows
            files.append(NabFile(rel, ts, x, len(x) - len(fd.scores), len(labels[rel]), fd))
    return Split(nab, tuple(files), scorer)
