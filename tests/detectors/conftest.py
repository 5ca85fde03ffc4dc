"""Synthetic series for the detector tests (5-minute cadence, seeded noise)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from alerts.detectors.config import AnomalyConfig, load_anomaly_config

T0 = 1_763_000_000_000
STEP_MS = 300_000
DAY = 288  # records per day


@pytest.fixture
def cfg() -> AnomalyConfig:
    return load_anomaly_config()


def times(n: int) -> npt.NDArray[np.int64]:
    return T0 + STEP_MS * np.arange(n, dtype=np.int64)


def noise(n: int, seed: int = 1) -> npt.NDArray[np.float64]:
    return 50.0 + np.random.default_rng(seed).normal(0.0, 1.0, n)


def daily(n: int, seed: int = 2) -> npt.NDArray[np.float64]:
    t = np.arange(n)
    return 50.0 + 20.0 * np.sin(2 * np.pi * t / DAY) + np.random.default_rng(seed).normal(0, 1, n)
