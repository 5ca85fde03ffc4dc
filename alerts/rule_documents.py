"""Rules documents: the rules file, the versions administrators saved over it, and
parameter edits of single rules.

Which rules the engine runs (:func:`rules_in_use`), at its start:

- the newest document saved from the administration page (a ``RuleSetStore``), if it
  was edited from the rules file as it is now (same SHA-256);
- otherwise the rules file (``LIFELINE_RULES_FILE``, or the shipped defaults): a file
  changed after an administrator's edit is the newer word, and a log line says the
  stored version was passed over.

A saved document takes effect at the next start of the rule engine (``lifeline up``,
``lifeline rules``): the running engine keeps its machines and their state; swapping
them under live alerts is not done.

:func:`edited_document` applies ``{rule: {field: value}}`` to a document and validates
the result exactly as a rules file is validated (:func:`alerts.rules.parse_rules`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec
import msgspec.yaml

from alerts.rules import DEFAULT_RULES_PATH, RuleSet, parse_rules
from lifeline.config_files import read_config
from lifeline.core.errors import ConfigError
from lifeline.core.ports import RuleSetStore

__all__ = [
    "FIXED_FIELDS",
    "RulesInUse",
    "edited_document",
    "rule_fields",
    "rules_from_file",
    "rules_in_use",
]

log = logging.getLogger(__name__)

FIXED_FIELDS: Final = frozenset({"name", "type", "kind"})
"""What identifies a rule; an edit may not change it (add or remove rules in the file)."""


@dataclass(frozen=True, slots=True)
class RulesInUse:
    """The rules an engine runs and where they came from."""

    rules: RuleSet
    document: str  # the YAML text
    base_sha256: str  # of the rules file the document is (or was edited from)
    version: int | None  # the stored version, None = the file itself
    source: str  # the file's path, or "administration v<N>"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rules_from_file(path: Path | None = None) -> RulesInUse:
    """The rules file's rules (``None``: the shipped defaults); ConfigError if bad."""
    path = DEFAULT_RULES_PATH if path is None else path
    data = read_config(path, "rules file")
    text = data.decode("utf-8", errors="replace")
    return RulesInUse(parse_rules(data, source=str(path)), text, _sha256(data), None, str(path))


async def rules_in_use(path: Path | None, store: RuleSetStore | None) -> RulesInUse:
    """The rules to run (see the module docstring); ConfigError for a bad file."""
    from_file = rules_from_file(path)
    stored = None if store is None else await store.latest()
    if stored is not None and stored.base_sha256 == from_file.base_sha256:
        source = f"administration v{stored.version}"
        rules = parse_rules(stored.yaml, source=source)
        return RulesInUse(rules, stored.yaml, from_file.base_sha256, stored.version, source)
    if stored is not None:
        log.warning(
            "rules_file_newer_than_saved_rules",
            extra={"path": from_file.source, "saved_version": stored.version},
        )
    return from_file


def _document(text: str) -> dict[str, Any]:
    try:
        document = msgspec.yaml.decode(text)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"rules document: not valid YAML ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ConfigError("rules document: no list of rules")
    return document


def rule_fields(text: str) -> dict[str, dict[str, Any]]:
    """Each rule's fields as written in the document, by name, in file order."""
    return {
        str(rule.get("name")): rule for rule in _document(text)["rules"] if isinstance(rule, dict)
    }


def edited_document(text: str, changes: Mapping[str, Mapping[str, Any]]) -> tuple[str, RuleSet]:
    """``text`` with each named rule's fields replaced (a None value: back to the
    field's default), as YAML, and its validated rules; ConfigError names the fault."""
    document = _document(text)
    rules = {str(r.get("name")): r for r in document["rules"] if isinstance(r, dict)}
    for name, fields in changes.items():
        rule = rules.get(name)
        if rule is None:
            raise ConfigError(f"rule {name!r} does not exist")
        fixed = FIXED_FIELDS & fields.keys()
        if fixed:
            raise ConfigError(f"rule {name!r}: {', '.join(sorted(fixed))} cannot be changed here")
        for field, value in fields.items():
            if value is None:
                rule.pop(field, None)
            else:
                rule[field] = value
    edited = msgspec.yaml.encode(document).decode("utf-8")
    return edited, parse_rules(edited, source="edited rules")
