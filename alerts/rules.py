"""The rules file: :func:`load_rules` and the validated :class:`RuleSet`.

A rules file is YAML with a list of rules, each tagged by ``type``::

    rules:
      - type: threshold        # a metric against one or more levels
      - type: event            # device events / meter alarm flags
      - type: stuck            # a value that does not change
      - type: deadman          # a source that stops sending
      - type: anomaly          # a streaming detector's score (alerts/detector_registry.py)

The types are those registered in ``alerts.machines.RULE_TYPES`` (each type's rule
Struct and checks live in its module there). Everything is validated once, at load; a
bad file raises :class:`ConfigError` naming the rule and the field. Unknown fields are
errors (a typo must not silently disable a rule). The machines trust a loaded rule.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec
import msgspec.yaml

from alerts.machines import RULE_TYPES, RuleLike, rule_type_of
from lifeline.config_files import decode_config, read_config
from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind

__all__ = ["DEFAULT_RULES_PATH", "Rule", "RuleSet", "load_rules", "parse_rules"]

DEFAULT_RULES_PATH: Final = Path(__file__).with_name("default_rules.yaml")

Rule = RuleLike
"""Any rule; ``isinstance`` against a type's rule Struct tells which."""

# The tagged union of every registered rule Struct (msgspec picks one by ``type:``).
_ANY_RULE: Final[Any] = functools.reduce(operator.or_, (t.rule for t in RULE_TYPES))

_RulesFile: Final[Any] = msgspec.defstruct(
    "_RulesFile",
    [
        ("rules", list[_ANY_RULE]),
        ("version", int, 1),
        # the generic detector's settings (alerts/detectors/config.py validates them)
        ("anomaly", dict[str, Any], msgspec.field(default_factory=dict)),
    ],
    forbid_unknown_fields=True,
)


@dataclass(frozen=True, slots=True)
class RuleSet:
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
    return parse_rules(read_config(path, "rules file"), source=str(path))


def parse_rules(data: bytes | str, source: str = "<rules>") -> RuleSet:
    """Validate rules from YAML text; raises :class:`ConfigError` with the path of the fault."""
    parsed = decode_config(data, _RulesFile, "rules file", source)
    seen: set[str] = set()
    for rule in parsed.rules:
        if rule.name in seen:
            raise ConfigError(f"rules file {source}: rule {rule.name!r} is defined twice")
        seen.add(rule.name)
        try:
            rule_type_of(rule).check(rule)
        except ValueError as exc:
            raise ConfigError(f"rules file {source}: rule {rule.name!r}: {exc}") from exc
    return RuleSet(tuple(parsed.rules))
