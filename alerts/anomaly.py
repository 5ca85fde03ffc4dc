"""Anomaly rule state machine: a detector's score of one series -> an Evaluation.

Pure: ``update(state, ts_ms, inputs, rule, detector, source_id) -> (state, evaluation)``.
``inputs`` is the metric's value (univariate) or a mapping of the rule's metrics.

The detector's own state rides inside :class:`AnomalyState` (``detector``), so it is
kept per series by the engine and saved in the snapshot with every other rule state;
after a snapshot load it comes back as plain msgpack data and :func:`update` converts
it to the detector's state type on first use (a restart neither re-learns nor
re-raises).

Around the score the machine is a deadband with delays, like a threshold:

- raise after ``confirm_records`` consecutive records with score >= ``threshold``
  spanning at least ``confirm_s`` (and not within ``cooldown_s`` of the last clear);
- once raised, hold until ``clear_records`` consecutive records score below
  ``clear_threshold`` spanning ``clear_s``. A score oscillating around the threshold
  therefore keeps ONE alert active instead of raising and clearing it on every record.

A record not newer than the last one seen is ignored (``None`` evaluation): detectors
learn from and score series in event-time order only (a late value would corrupt a
slope or a run), and a late value past a set-point raises through the threshold and
event rules instead (contract v1.1). Ignored too is
a verdict without an opinion — score 0 and no expected range (the detector is still
learning, or had a gap or a missing input): it neither raises nor clears.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec

from alerts.detector_registry import AnyDetector
from alerts.detectors.base import Verdict
from alerts.evaluation import Evaluation
from alerts.rules import AnomalyRule

__all__ = ["AnomalyState", "expected_text", "update"]

Inputs = float | Mapping[str, float]


class AnomalyState(msgspec.Struct, frozen=True):
    last_ts_ms: int
    detector: Any  # the detector's state (its own msgspec Struct)
    active: bool = False
    above: int = 0  # consecutive records at or above threshold (while not active)
    above_since_ms: int = 0
    below: int = 0  # consecutive records below clear_threshold (while active)
    below_since_ms: int = 0
    quiet_until_ms: int = 0  # cooldown after a clear
    observed: float = 0.0
    bound: float | None = None
    message: str = ""  # of the last record at or above threshold, while active


def _detector_state(state: AnomalyState | None, detector: AnyDetector) -> Any:
    if state is None:
        return detector.new_state()
    current = state.detector
    if isinstance(current, msgspec.Struct):
        return current
    # restored from a snapshot: plain data
    kind = getattr(detector, "state_type", None) or type(detector.new_state())
    try:
        return msgspec.convert(current, kind)
    except (msgspec.ValidationError, TypeError):
        return detector.new_state()  # the detector changed: learn again


def update(
    state: AnomalyState | None,
    ts_ms: int,
    inputs: Inputs,
    rule: AnomalyRule,
    detector: AnyDetector,
    source_id: str,
) -> tuple[AnomalyState | None, Evaluation | None]:
    if state is not None and ts_ms <= state.last_ts_ms:
        return state, None
    det_state = _detector_state(state, detector)
    det_state, verdict = detector.update(det_state, ts_ms, inputs)  # type: ignore[arg-type]
    score = verdict.score if math.isfinite(verdict.score) else 0.0
    prev = state or AnomalyState(ts_ms, None)
    if not math.isfinite(verdict.observed) or (
        score == 0.0 and verdict.expected_low is None and verdict.expected_high is None
    ):  # no opinion (learning, a gap, a missing input): hold whatever holds
        return msgspec.structs.replace(prev, last_ts_ms=ts_ms, detector=det_state), None
    active, above, above_since = prev.active, prev.above, prev.above_since_ms
    below, below_since, quiet_until = prev.below, prev.below_since_ms, prev.quiet_until_ms
    if not active:
        if score >= rule.threshold and ts_ms >= quiet_until:
            above, above_since = above + 1, above_since or ts_ms
            confirmed = ts_ms - above_since >= rule.confirm_s * 1000
            if above >= rule.confirm_records and confirmed:
                active, below, below_since = True, 0, 0
        else:
            above, above_since = 0, 0
    elif score < rule.clear_below:
        below, below_since = below + 1, below_since or ts_ms
        if below >= rule.clear_records and ts_ms - below_since >= rule.clear_s * 1000:
            active, above, above_since = False, 0, 0
            quiet_until = ts_ms + int(rule.cooldown_s * 1000)
    else:
        below, below_since = 0, 0
    if not active:
        new = AnomalyState(
            ts_ms, det_state, False, above, above_since, 0, 0, quiet_until, verdict.observed
        )
        return new, Evaluation(False, value=verdict.observed)
    if score < rule.threshold and prev.message:  # holding in the deadband: keep what
        # raised it (the alert shows the anomaly, not the calm record that follows it)
        new = AnomalyState(
            ts_ms,
            det_state,
            True,
            0,
            0,
            below,
            below_since,
            quiet_until,
            prev.observed,
            prev.bound,
            prev.message,
        )
        evaluation = Evaluation(
            True, rule.severity, value=prev.observed, threshold=prev.bound, message=prev.message
        )
        return new, evaluation
    bound = _bound(verdict)
    message = rule.message.format(
        source_id=source_id,
        rule=rule.name,
        metric=",".join(rule.inputs),
        detector=rule.detector,
        score=score,
        observed=verdict.observed,
        expected=expected_text(verdict),
        reason=verdict.reason,
        severity=rule.severity.value,
    )
    new = AnomalyState(
        ts_ms,
        det_state,
        True,
        0,
        0,
        below,
        below_since,
        quiet_until,
        verdict.observed,
        bound,
        message,
    )
    evaluation = Evaluation(
        True, rule.severity, value=verdict.observed, threshold=bound, message=message
    )
    return new, evaluation


def expected_text(verdict: Verdict) -> str:
    """The expected range for a message: ``"0.00 – 1.20"``, ``"< 1.20"`` or ``"learning"``."""
    low, high = verdict.expected_low, verdict.expected_high
    if low is None and high is None:
        return "learning"
    if low is None:
        return f"< {high:.3g}"
    if high is None:
        return f"> {low:.3g}"
    return f"{low:.3g} – {high:.3g}"


def _bound(verdict: Verdict) -> float | None:
    """The edge of the expected range the observation is beyond (for ``Alert.threshold``)."""
    low, high = verdict.expected_low, verdict.expected_high
    if low is not None and verdict.observed < low:
        return low
    return high if high is not None else low
