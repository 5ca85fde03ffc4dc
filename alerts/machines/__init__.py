"""Rule types. Each is one module here (rule, checks, pure state machine, ``Machine``);
``RULE_TYPES`` is the registry: adding a type is a new module and one line below.

- ``threshold``  a metric against levels, deadband and delays (optionally + events)
- ``events``     device events and meter alarm flags
- ``stuck``      a value that does not move
- ``deadman``    a source that stops sending (its feed's clock)
- ``anomaly``    a streaming detector's score (``alerts.detector_registry``)
"""

from __future__ import annotations

from typing import Any, Final

from alerts.machines import anomaly, deadman, events, stuck, threshold
from alerts.machines.base import Machine, MachineContext, RuleLike, RuleType, Seen, Step, Ticking

__all__ = [
    "RULE_TYPES",
    "Machine",
    "MachineContext",
    "RuleLike",
    "RuleType",
    "Seen",
    "Step",
    "Ticking",
    "rule_type_of",
]

RULE_TYPES: Final[tuple[RuleType[Any], ...]] = (
    threshold.TYPE,
    events.TYPE,
    stuck.TYPE,
    deadman.TYPE,
    anomaly.TYPE,
)


def rule_type_of(rule: RuleLike) -> RuleType[Any]:
    """The registered type of a decoded rule."""
    for rule_type in RULE_TYPES:
        if isinstance(rule, rule_type.rule):
            return rule_type
    raise TypeError(f"{type(rule).__name__} is not a registered rule type")
