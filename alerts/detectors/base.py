"""The detector interface: per-series state, a pure update per record, a scored verdict.

A detector is a small object holding only its configuration. Everything it learns
about one series lives in a *state* value that it creates (``new_state``) and that the
caller keeps per series, persists (msgspec msgpack) and hands back on the next record::

    state = detector.new_state()
    for ts_ms, value in series:              # event time, oldest first
        state, verdict = detector.update(state, ts_ms, value)
        if verdict.score >= threshold: ...

``update`` is pure in the sense that matters: the verdict depends only on the state and
the record (row i uses rows 0..i only, never the wall clock). Implementations may
return the same, mutated state object for speed; callers must treat the returned state
as the new one and not reuse the old. States must be compact (a few hundred bytes;
100,000 series have to fit in memory) and msgspec-serialisable so that a restart neither
re-learns from zero nor re-raises.

Multivariate detectors (a heat-exchange station's temperatures, pressures and flows
together) implement :class:`MultiDetector`, whose update takes a mapping of named values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

import msgspec

__all__ = ["Detector", "MultiDetector", "Verdict"]

S = TypeVar("S")


class Verdict(msgspec.Struct, frozen=True):
    """How anomalous the record is (``score`` in [0, 1]) and why.

    ``expected_low``/``expected_high`` is the range the detector expected for this record
    (None while it is still learning); ``reason`` is a short explanation for operators,
    e.g. ``"rose 6.2 %LEL in 60 s (expected < 1.0)"``.
    """

    score: float
    observed: float
    expected_low: float | None = None
    expected_high: float | None = None
    reason: str = ""


class Detector(Protocol[S]):
    name: str

    def new_state(self) -> S: ...

    def update(self, state: S, ts_ms: int, value: float) -> tuple[S, Verdict]: ...


class MultiDetector(Protocol[S]):
    name: str

    def new_state(self) -> S: ...

    def update(self, state: S, ts_ms: int, values: Mapping[str, float]) -> tuple[S, Verdict]: ...
