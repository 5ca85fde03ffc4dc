"""Streaming == batch, causality, snapshot/restore and state size."""

from __future__ import annotations

import csv
from pathlib import Path

import msgspec
import numpy as np
import pytest

from alerts.detectors.components import (
    CombinedState,
    combined_detector,
    level_shift_detector,
    range_detector,
    rate_detector,
    spike_detector,
    stuck_detector,
)
from alerts.detectors.config import AnomalyConfig
from alerts.detectors.stream import StreamState
from tests.detectors.conftest import DAY, daily, noise, times

NAB = next(
    (
        p
        for p in (Path("/work/shared/nab"), Path(__file__).parents[3] / "shared" / "nab")
        if (p / "data").is_dir()
    ),
    None,
)
NAB_FILES = [
    "artificialWithAnomaly/art_daily_jumpsdown.csv",
    "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv",
    "realAdExchange/exchange-2_cpc_results.csv",
]


def _series() -> list[tuple[np.ndarray, np.ndarray]]:
    x = daily(6 * DAY)
    x[5 * DAY :] += 30.0
    flat = noise(3 * DAY).round(0)
    frozen = noise(3 * DAY)
    frozen[2 * DAY :] = frozen[2 * DAY]
    out = [(times(len(x)), x), (times(len(flat)), flat), (times(len(frozen)), frozen)]
    if NAB is not None:
        for rel in NAB_FILES:
            with (NAB / "data" / rel).open() as fh:
                rows = list(csv.reader(fh))[1:]
            ts = np.array([r[0] for r in rows], dtype="datetime64[ms]").astype(np.int64)
            out.append((ts, np.array([float(r[1]) for r in rows])))
    return out


def _stream(det: object, ts: np.ndarray, x: np.ndarray) -> np.ndarray:
    state = det.new_state()  # type: ignore[attr-defined]
    scores = np.empty(len(x))
    for i in range(len(x)):
        state, verdict = det.update(state, int(ts[i]), float(x[i]))  # type: ignore[attr-defined]
        scores[i] = verdict.score
    return scores


@pytest.mark.parametrize(
    "factory",
    [
        combined_detector,
        spike_detector,
        level_shift_detector,
        rate_detector,
        stuck_detector,
        range_detector,
    ],
)
def test_streaming_and_batch_give_the_same_scores(factory: object, cfg: AnomalyConfig) -> None:
    det = factory(cfg)  # type: ignore[operator]
    peak = 0.0
    for ts, x in _series():
        batch = det.scores(ts, x)
        np.testing.assert_allclose(_stream(det, ts, x), batch, rtol=0, atol=1e-9)
        peak = max(peak, float(batch.max()))
    assert peak > 0.0  # something was scored, not all warm-up


def test_nab_split_is_part_of_the_equivalence_check() -> None:
    assert NAB is not None, "the NAB split (/work/shared/nab) must be available"


def test_truncating_the_input_does_not_change_earlier_scores(cfg: AnomalyConfig) -> None:
    det = combined_detector(cfg)
    for ts, x in _series():
        full = det.scores(ts, x)
        for k in (5, 17, 300, len(x) // 2, len(x) - 1):
            np.testing.assert_array_equal(det.scores(ts[:k], x[:k]), full[:k])


def test_snapshot_restore_continues_with_identical_verdicts(cfg: AnomalyConfig) -> None:
    det = combined_detector(cfg)
    ts, x = _series()[0]
    cut = 5 * DAY + 3  # mid-series, just after the shift alerted: the cool-down must survive
    state = det.new_state()
    expected = []
    snapshot = b""
    for i in range(len(x)):
        if i == cut:
            snapshot = msgspec.msgpack.encode(state)
        state, verdict = det.update(state, int(ts[i]), float(x[i]))
        expected.append(verdict)
    restored = msgspec.msgpack.decode(snapshot, type=StreamState[CombinedState])
    assert restored.alert_n is not None
    again = []
    for i in range(cut, len(x)):
        restored, verdict = det.update(restored, int(ts[i]), float(x[i]))
        again.append(verdict)
    assert again == expected[cut:]
    assert max(v.score for v in again) < cfg.threshold  # no re-raise after the restart


def _deep_size(obj: object, seen: set[int] | None = None) -> int:
    import sys

    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, msgspec.Struct):
        size += sum(_deep_size(getattr(obj, f), seen) for f in obj.__struct_fields__)
    elif isinstance(obj, list):
        size += sum(_deep_size(v, seen) for v in obj)
    return size


def test_state_is_compact(cfg: AnomalyConfig) -> None:
    det = combined_detector(cfg)
    ts, x = _series()[0]
    state = det.new_state()
    for i in range(2 * DAY):
        state, _ = det.update(state, int(ts[i]), float(x[i]))
    packed = len(msgspec.msgpack.encode(state))
    in_memory = _deep_size(state)
    assert packed <= 1200  # ~1 KB: 31 profile bins x 3 float64 are 744 of it
    assert in_memory <= 2400
