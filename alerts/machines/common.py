"""Field types and checks every rule type shares: names, templates, metrics of a kind.

A rule's checks raise ``ValueError`` with a reason; the rules loader
(``alerts.rules``) turns it into a ``ConfigError`` naming the file and the rule.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Annotated, Final

from msgspec import Meta

from lifeline.core.ids import SourceKind
from lifeline.core.payloads import STATION_FIELDS, GasEventType, MeterAlarm
from lifeline.core.records import GAS_READING_FIELDS, METER_READING_FIELDS

__all__ = [
    "EVENT_TYPES",
    "METRICS",
    "NonNegative",
    "RuleName",
    "Score",
    "Template",
    "check_metric",
    "check_template",
]

RuleName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
NonNegative = Annotated[float, Meta(ge=0.0)]
Template = Annotated[str, Meta(min_length=1, max_length=500)]
Score = Annotated[float, Meta(ge=0.0, le=1.0)]

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


def check_metric(kind: SourceKind, metric: str) -> None:
    known = METRICS[kind]
    if metric not in known:
        raise ValueError(
            f"unknown {kind} metric {metric!r} (known: {', '.join(sorted(known)) or 'none'})"
        )


def check_template(
    template: str, allowed: frozenset[str], strings: Mapping[str, str] | None = None
) -> None:
    """``template`` uses only ``allowed`` fields and formats with sample values."""
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
