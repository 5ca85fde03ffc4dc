"""The rules file: its model, its validation and :func:`load_rules`.

A rules file is YAML with a list of rules, each tagged by ``type``::

    rules:
      - type: threshold        # a metric against one or more levels
      - type: event            # device events / meter alarm flags
      - type: stuck            # a value that does not change
      - type: deadman          # a source that stops sending
      - type: anomaly          # a streaming detector's score (alerts/detector_registry.py)

Everything is validated once, at load; a bad file raises :class:`ConfigError` naming the
rule and the field. Unknown fields are errors (a typo must not silently disable a rule).
The machines in ``threshold``/``events``/``stuck``/``deadman`` trust a loaded rule.
"""

from __future__ import annotations

import enum
import itertools
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import msgspec
import msgspec.yaml
from msgspec import Meta

from alerts.detector_registry import DETECTORS, ParamValue, build_detector
from lifeline.core.alert import SEVERITY_RANK, AlertCategory, Severity
from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind
from lifeline.core.payloads import STATION_FIELDS, GasEventType, MeterAlarm
from lifeline.core.records import GAS_READING_FIELDS, METER_READING_FIELDS

__all__ = [
    "DEFAULT_RULES_PATH",
    "AnomalyRule",
    "DeadmanRule",
    "Direction",
    "EventRule",
    "EventSpec",
    "Level",
    "Rule",
    "RuleSet",
    "StuckRule",
    "ThresholdRule",
    "load_rules",
    "parse_rules",
]

DEFAULT_RULES_PATH: Final = Path(__file__).with_name("default_rules.yaml")

RuleName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
NonNegative = Annotated[float, Meta(ge=0.0)]
Template = Annotated[str, Meta(min_length=1, max_length=500)]

METRICS: Final[dict[SourceKind, frozenset[str]]] = {
    SourceKind.GAS_CHANNEL: frozenset(GAS_READING_FIELDS),
    SourceKind.METER: frozenset((*METER_READING_FIELDS, "valve_code")),
    SourceKind.STATION: frozenset(STATION_FIELDS),
    SourceKind.ENTERPRISE: frozenset(),
}
EVENT_TYPES: Final[dict[SourceKind, frozenset[str]]] = {
    SourceKind.GAS_CHANNEL: frozenset(e.value for e in GasEventType),
    SourceKind.METER: frozenset(a.value for a in MeterAlarm),
}

# Fields a message template may use, per kind of template.
THRESHOLD_FIELDS: Final = frozenset(
    {"source_id", "rule", "metric", "value", "threshold", "severity"}
)
EVENT_FIELDS: Final = frozenset({"source_id", "rule", "event", "severity", "detail"})
STUCK_FIELDS: Final = frozenset({"source_id", "rule", "metric", "value", "duration_s", "records"})
DEADMAN_FIELDS: Final = frozenset({"source_id", "rule", "silence_s", "timeout_s"})
ANOMALY_FIELDS: Final = frozenset(
    {"source_id", "rule", "metric", "detector", "score", "observed", "expected", "reason"}
    | {"severity"}
)
Score = Annotated[float, Meta(ge=0.0, le=1.0)]


class Direction(enum.StrEnum):
    """``above``: a level is exceeded at value >= level (the level is the first bad value).
    ``below``: a level is exceeded at value < level (the level is the lowest good value,
    as in "indoor temperature must be >= 18 °C")."""

    ABOVE = "above"
    BELOW = "below"


class Level(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    value: float
    severity: Severity


class EventSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which device events raise and which clear a condition.

    ``raise_on`` is a list of event types (all at ``severity``) or a mapping
    event type -> severity. Exactly one way of clearing must be chosen:
    ``clear_on`` events, ``clear_when_absent`` (meters: the flag missing from a later
    reading clears it) or ``momentary`` (raised and condition-cleared at once).
    """

    raise_on: list[str] | dict[str, Severity]
    severity: Severity | None = None
    clear_on: list[str] = []
    clear_when_absent: bool = False
    momentary: bool = False
    message: Template = "{source_id}: {event}"

    def severity_of(self, event: str) -> Severity | None:
        """Severity an event raises at, or ``None`` if it does not raise."""
        if isinstance(self.raise_on, dict):
            return self.raise_on.get(event)
        return self.severity if event in self.raise_on else None

    @property
    def raise_types(self) -> frozenset[str]:
        return frozenset(self.raise_on)


class ThresholdRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="threshold"):
    """A metric against levels, with deadband and delays; optionally also device events
    (``events``), in which case the condition is "threshold exceeded OR event latched"
    and the severity the higher of the two, all in ONE alert."""

    name: RuleName
    kind: SourceKind
    metric: str
    direction: Direction
    levels: list[Level]
    message: Template
    category: AlertCategory = AlertCategory.ALARM
    deadband: NonNegative = 0.0
    on_delay_s: NonNegative = 0.0
    off_delay_s: NonNegative = 0.0
    levels_from_registry: bool = False
    events: EventSpec | None = None
    description: str = ""

    @property
    def on_delay_ms(self) -> int:
        return int(self.on_delay_s * 1000)

    @property
    def off_delay_ms(self) -> int:
        return int(self.off_delay_s * 1000)


class EventRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="event"):
    """Device events (gas event types, meter alarm flags) mapped to one alert."""

    name: RuleName
    kind: SourceKind
    events: EventSpec
    category: AlertCategory = AlertCategory.ALARM
    description: str = ""


class StuckRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="stuck"):
    """A value unchanged (|value - first value of the run| <= tolerance) for at least
    ``records`` consecutive records AND ``duration_s`` of event time. Values at or
    below ``ignore_at_or_below`` never count (a gas detector in clean air reads 0)."""

    name: RuleName
    kind: SourceKind
    metric: str
    records: Annotated[int, Meta(ge=2)]
    message: Template
    duration_s: NonNegative = 0.0
    tolerance: NonNegative = 0.0
    ignore_at_or_below: float | None = None
    severity: Severity = Severity.WARNING
    category: AlertCategory = AlertCategory.FAULT
    description: str = ""

    @property
    def duration_ms(self) -> int:
        return int(self.duration_s * 1000)


class DeadmanRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="deadman"):
    """No record from a source for ``timeout_s`` of its feed's event time (see
    ``alerts.feed_clock``). For ``enterprise``, a record of any of its stations counts.
    A source never heard from is armed when the engine first finds it in the registry."""

    name: RuleName
    kind: SourceKind
    timeout_s: Annotated[float, Meta(gt=0.0)]
    message: Template
    severity: Severity = Severity.MINOR
    category: AlertCategory = AlertCategory.OFFLINE
    description: str = ""

    @property
    def timeout_ms(self) -> int:
        return int(self.timeout_s * 1000)


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


Rule = ThresholdRule | EventRule | StuckRule | DeadmanRule | AnomalyRule


class _RulesFile(msgspec.Struct, forbid_unknown_fields=True):
    rules: list[Rule]
    version: int = 1
    # the generic detector's settings (alerts/detectors/config.py validates them)
    anomaly: dict[str, Any] = msgspec.field(default_factory=dict)


class RuleSet(msgspec.Struct, frozen=True):
    """Validated rules, indexed by name, in file order."""

    rules: tuple[Rule, ...]

    @property
    def by_name(self) -> Mapping[str, Rule]:
        return {rule.name: rule for rule in self.rules}

    def of_kind(self, kind: SourceKind) -> list[Rule]:
        return [rule for rule in self.rules if rule.kind is kind]


def load_rules(path: Path | None = None) -> RuleSet:
    """Load and validate a rules file; ``None`` loads the shipped default rules."""
    path = DEFAULT_RULES_PATH if path is None else path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"rules file {path}: cannot read ({exc.strerror})") from exc
    return parse_rules(data, source=str(path))


def parse_rules(data: bytes | str, source: str = "<rules>") -> RuleSet:
    """Validate rules from YAML text; raises :class:`ConfigError` with the path of the fault."""
    try:
        parsed = msgspec.yaml.decode(data, type=_RulesFile)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"rules file {source}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"rules file {source}: not valid YAML ({exc})") from exc
    if parsed.version != 1:
        raise ConfigError(f"rules file {source}: unsupported version {parsed.version}")
    seen: set[str] = set()
    for rule in parsed.rules:
        if rule.name in seen:
            raise ConfigError(f"rules file {source}: rule {rule.name!r} is defined twice")
        seen.add(rule.name)
        try:
            _check(rule)
        except ValueError as exc:
            raise ConfigError(f"rules file {source}: rule {rule.name!r}: {exc}") from exc
    return RuleSet(tuple(parsed.rules))


def _check(rule: Rule) -> None:
    if isinstance(rule, ThresholdRule):
        _check_threshold(rule)
    elif isinstance(rule, EventRule):
        _check_events(rule.kind, rule.events)
    elif isinstance(rule, StuckRule):
        _check_metric(rule.kind, rule.metric)
        _check_template(rule.message, STUCK_FIELDS)
    elif isinstance(rule, AnomalyRule):
        _check_anomaly(rule)
    else:
        _check_template(rule.message, DEADMAN_FIELDS)


def _check_threshold(rule: ThresholdRule) -> None:
    _check_metric(rule.kind, rule.metric)
    if not rule.levels:
        raise ValueError("needs at least one level")
    values = [level.value for level in rule.levels]
    ranks = [SEVERITY_RANK[level.severity] for level in rule.levels]
    worse = values if rule.direction is Direction.ABOVE else [-v for v in values]
    if any(b <= a for a, b in itertools.pairwise(worse)):
        order = "ascending" if rule.direction is Direction.ABOVE else "descending"
        raise ValueError(f"levels must be strictly {order} for direction {rule.direction}")
    if any(b <= a for a, b in itertools.pairwise(ranks)):
        raise ValueError("each further level must have a higher severity")
    if rule.levels_from_registry and not (
        rule.kind is SourceKind.GAS_CHANNEL
        and rule.metric == "lel_pct"
        and rule.direction is Direction.ABOVE
        and len(rule.levels) == 2
    ):
        raise ValueError(
            "levels_from_registry needs kind gas_channel, metric lel_pct, direction above "
            "and exactly two levels (low_pct, high_pct)"
        )
    _check_template(rule.message, THRESHOLD_FIELDS)
    if rule.events is not None:
        _check_events(rule.kind, rule.events)


def _check_events(kind: SourceKind, spec: EventSpec) -> None:
    known = EVENT_TYPES.get(kind)
    if known is None:
        raise ValueError(f"kind {kind} has no device events")
    for event in (*spec.raise_types, *spec.clear_on):
        if event not in known:
            raise ValueError(f"unknown {kind} event {event!r} (known: {', '.join(sorted(known))})")
    if not spec.raise_on:
        raise ValueError("raise_on is empty")
    if isinstance(spec.raise_on, list) and spec.severity is None:
        raise ValueError("raise_on is a list, so severity is required")
    if spec.raise_types & set(spec.clear_on):
        raise ValueError("an event cannot both raise and clear")
    modes = [bool(spec.clear_on), spec.clear_when_absent, spec.momentary]
    if sum(modes) != 1:
        raise ValueError("choose exactly one of clear_on, clear_when_absent, momentary")
    if spec.clear_when_absent and kind is not SourceKind.METER:
        raise ValueError("clear_when_absent is for meter alarm flags only")
    _check_template(spec.message, EVENT_FIELDS)


def _check_anomaly(rule: AnomalyRule) -> None:
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
        _check_metric(rule.kind, metric)
    if rule.clear_below > rule.threshold:
        raise ValueError("clear_threshold must not be above threshold")
    build_detector(rule.detector, rule.inputs, rule.params)
    _check_template(
        rule.message,
        ANOMALY_FIELDS,
        {"expected": "0.0–1.0", "reason": "why", "detector": rule.detector},
    )


def _check_metric(kind: SourceKind, metric: str) -> None:
    known = METRICS[kind]
    if metric not in known:
        raise ValueError(
            f"unknown {kind} metric {metric!r} (known: {', '.join(sorted(known)) or 'none'})"
        )


def _check_template(
    template: str, allowed: frozenset[str], strings: Mapping[str, str] | None = None
) -> None:
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"bad message template {template!r}: {exc}") from exc
    unknown = {f for f in fields if f not in allowed}
    if unknown or "" in fields:
        raise ValueError(
            f"message template uses {sorted(unknown) or 'a positional field'}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    sample: dict[str, object] = dict.fromkeys(allowed, 1.0)
    sample.update(source_id="X", rule="r", metric="m", event="e", severity="minor", detail="d")
    sample.update(strings or {})
    try:
        template.format_map(sample)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"bad message template {template!r}: {exc}") from exc
