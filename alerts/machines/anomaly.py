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
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Final

import msgspec
from msgspec import Meta

from alerts.detector_registry import DETECTORS, AnyDetector, ParamValue, build_detector
from alerts.detectors.base import Verdict
from alerts.evaluation import Evaluation
from alerts.machines.base import MachineContext, RuleType, Seen, Step
from alerts.machines.common import (
    NonNegative,
    RuleName,
    Score,
    Template,
    check_metric,
    check_template,
)
from alerts.snapshot import RuleStates
from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.ids import SourceKind

__all__ = ["ANOMALY_FIELDS", "TYPE", "AnomalyRule", "AnomalyState", "expected_text", "update"]

# Fields an anomaly message template may use.
ANOMALY_FIELDS: Final = frozenset(
    {"source_id", "rule", "metric", "detector", "score", "observed", "expected", "reason"}
    | {"severity"}
)


class AnomalyRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="anomaly"):
    """A streaming detector's score (0..1) of a metric (``metric``) or of several
    (``metrics``, multivariate detectors) against ``threshold``.

    Raised after ``confirm_records`` consecutive records at or above ``threshold`` that
    also span ``confirm_s``; cleared after ``clear_records`` consecutive records below
    ``clear_threshold`` (default 0.8 × threshold) spanning ``clear_s``; after a clear no
    re-raise within ``cooldown_s``. ``params`` are the detector's (validated by it)."""

    name: RuleName
    kind: SourceKind
    detector: str
    message: Template
    metric: str | None = None
    metrics: list[str] = []
    params: dict[str, ParamValue] = {}
    threshold: Annotated[float, Meta(gt=0.0, le=1.0)] = 0.5
    clear_threshold: Score | None = None
    confirm_records: Annotated[int, Meta(ge=1)] = 1
    confirm_s: NonNegative = 0.0
    clear_records: Annotated[int, Meta(ge=1)] = 1
    clear_s: NonNegative = 0.0
    cooldown_s: NonNegative = 0.0
    severity: Severity = Severity.WARNING
    category: AlertCategory = AlertCategory.ALARM
    description: str = ""

    @property
    def inputs(self) -> tuple[str, ...]:
        """The metric(s) the detector reads."""
        return (self.metric,) if self.metric is not None else tuple(self.metrics)

    @property
    def clear_below(self) -> float:
        return 0.8 * self.threshold if self.clear_threshold is None else self.clear_threshold


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
        observed, bound, message = prev.observed, prev.bound, prev.message
    else:
        observed, bound = verdict.observed, _bound(verdict)
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
        ts_ms, det_state, True, 0, 0, below, below_since, quiet_until, observed, bound, message
    )
    return new, Evaluation(True, rule.severity, value=observed, threshold=bound, message=message)


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


class AnomalyMachine:
    """Every ``anomaly`` rule, each with its detector (built once, stateless: the
    per-series detector state rides in :class:`AnomalyState`)."""

    def __init__(self, rules: Sequence[AnomalyRule], context: MachineContext) -> None:
        self._context = context
        self._by_kind: dict[SourceKind, list[tuple[AnomalyRule, AnyDetector]]] = {}
        for rule in rules:
            detector = build_detector(rule.detector, rule.inputs, rule.params)
            self._by_kind.setdefault(rule.kind, []).append((rule, detector))

    @property
    def kinds(self) -> frozenset[SourceKind]:
        return frozenset(self._by_kind)

    def observe(self, seen: Seen, states: RuleStates) -> Iterator[Step]:
        for rule, detector in self._by_kind.get(seen.kind, ()):
            inputs: float | dict[str, float]
            if rule.metric is not None:
                value = seen.metrics.get(rule.metric)
                if value is None:
                    continue
                inputs = value
            else:
                inputs = {m: seen.metrics[m] for m in rule.metrics if m in seen.metrics}
                if not inputs:
                    continue
            table = states.table(TYPE.field, rule.name)
            source = seen.source_id
            state, evaluation = update(
                table.get(source), seen.ts_ms, inputs, rule, detector, source
            )
            if self._context.to_apply(source, rule.name, evaluation, states):
                yield Step(rule, source, seen.kind, evaluation, seen.ts_ms, table, state)
            elif state is not None:
                table[source] = state


def _check(rule: AnomalyRule) -> None:
    spec = DETECTORS.get(rule.detector)
    if spec is None:
        raise ValueError(
            f"unknown detector {rule.detector!r} (known: {', '.join(sorted(DETECTORS))})"
        )
    if spec.multi and (rule.metric is not None or not rule.metrics):
        raise ValueError(f"detector {rule.detector} is multivariate: give metrics, not metric")
    if not spec.multi and (rule.metric is None or rule.metrics):
        raise ValueError(f"detector {rule.detector} is univariate: give metric, not metrics")
    for metric in rule.inputs:
        check_metric(rule.kind, metric)
    if rule.clear_below > rule.threshold:
        raise ValueError("clear_threshold must not be above threshold")
    build_detector(rule.detector, rule.inputs, rule.params)
    check_template(
        rule.message,
        ANOMALY_FIELDS,
        {"expected": "0.0–1.0", "reason": "why", "detector": rule.detector},
    )


TYPE: Final = RuleType(AnomalyRule, "anomaly", AnomalyState, _check, AnomalyMachine)
