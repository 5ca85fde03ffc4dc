"""Leave-one-category-out cross-validation of the generic detector on the NAB split.

The split has five categories. For each in turn (the *held-out* one) every candidate
setting in :data:`GRID` is scored on the other four together (NAB standard profile at
the candidate's own fixed threshold); the best one is then scored, at that threshold, on
the held-out category alone. The mean held-out score over the categories that have
labelled windows is THE figure (``artificialNoAnomaly`` has none: NAB's normalisation
is undefined there, so its fold reports false-positive rows and the raw score instead).
In-sample figures (every category scored with the shipped configuration) are printed
beside it, never instead of it. Nothing is chosen on the whole split: the shipped
defaults are the setting the folds chose (:attr:`CrossValidation.consensus`).

The grid is small and declared up front: the threshold, the range (new-extreme) test
on or off, and the memory of the adaptive level. Everything else is fixed a priori
(alerts/detectors/README.md says why), identical in every fold.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec
import numpy as np

from alerts.detectors.components import combined_detector
from alerts.detectors.config import AnomalyConfig
from alerts.detectors.ewma import Array
from bench.micro.nab_split import PROFILES, Result, Split

__all__ = ["GRID", "CrossValidation", "Fold", "candidates", "cross_validate", "run_detector"]

NO_WINDOWS = "artificialNoAnomaly"

# name -> the values tried inside every fold (all combinations)
GRID: Mapping[str, tuple[float, ...]] = {
    "threshold": (0.45, 0.5, 0.55, 0.6),
    "range_margin": (0.1, 0.0),
    "level_half_life": (96.0, 288.0),
}

Setting = tuple[tuple[str, float], ...]


def candidates(grid: Mapping[str, tuple[float, ...]] = GRID) -> list[Setting]:
    names = sorted(grid)
    return [
        tuple(zip(names, values, strict=True))
        for values in itertools.product(*(grid[n] for n in names))
    ]


def run_detector(split: Split, cfg: AnomalyConfig) -> dict[str, Array]:
    """Every file's scores (the batch path; equal to the streaming one)."""
    det = combined_detector(cfg)
    return {f.rel: det.scores(f.ts_ms, f.values) for f in split.files}


@dataclass(frozen=True, slots=True)
class Fold:
    held_out: str
    chosen: Setting
    train_standard: float  # of the chosen setting on the other four categories
    held: dict[str, Result]  # profile -> held-out result at the chosen threshold


@dataclass(frozen=True, slots=True)
class CrossValidation:
    folds: list[Fold]
    in_sample: dict[str, dict[str, Result]]  # category (or "all") -> profile -> result

    def mean(self, profile: str = "standard") -> float:
        """Mean held-out score over the categories with labelled windows (THE figure)."""
        return float(
            np.mean([f.held[profile].normalized for f in self.folds if f.held_out != NO_WINDOWS])
        )

    @property
    def consensus(self) -> Setting:
        """The setting most folds chose (ties: the first in grid order)."""
        counts = Counter(f.chosen for f in self.folds)
        return max(counts, key=lambda s: (counts[s], -[f.chosen for f in self.folds].index(s)))


def _cfg(base: AnomalyConfig, setting: Setting) -> AnomalyConfig:
    return msgspec.structs.replace(base, **dict(setting))


def cross_validate(
    split: Split, base: AnomalyConfig, grid: Mapping[str, tuple[float, ...]] = GRID
) -> CrossValidation:
    settings = candidates(grid)
    runs = {s: run_detector(split, _cfg(base, s)) for s in settings}
    cats = split.categories
    folds = []
    for held in cats:
        train = split.rels(c for c in cats if c != held)
        scored = [
            (split.score(runs[s], train, dict(s)["threshold"]).normalized, -i, s)
            for i, s in enumerate(settings)
        ]
        best, _, chosen = max(scored)
        t = dict(chosen)["threshold"]
        rels = split.rels([held])
        folds.append(
            Fold(held, chosen, best, {p: split.score(runs[chosen], rels, t, p) for p in PROFILES})
        )
    shipped = run_detector(split, base)
    in_sample = {
        c: {p: split.score(shipped, split.rels([c]), base.threshold, p) for p in PROFILES}
        for c in cats
    }
    every = [f.rel for f in split.files]
    in_sample["all"] = {p: split.score(shipped, every, base.threshold, p) for p in PROFILES}
    return CrossValidation(folds, in_sample)
