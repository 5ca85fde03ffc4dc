"""Every shipped rule, severity, state, source kind and rule metric has a name in both
languages: a message never shows a raw id (issue 13; the screens are issue 16)."""

from __future__ import annotations

import pytest

from alerts.rules import load_rules
from lifeline.core.alert import AlertState, Severity
from lifeline.core.ids import SourceKind
from lifeline.core.labels import LANGS, METRICS, label, metric_text, tables
from lifeline.seed import DISTRICTS, SITE_TYPES


@pytest.mark.parametrize("lang", LANGS)
def test_every_shipped_rule_and_state_has_a_name(lang: str) -> None:
    keys = [f"rule.{rule.name}" for rule in load_rules(None).rules]
    keys += [f"severity.{s.value}" for s in Severity]
    keys += [f"state.{s.value}" for s in AlertState]
    keys += [f"kind.{k.value}" for k in SourceKind]
    raw = [key for key in keys if label(key, lang) == key.rpartition(".")[2]]
    assert raw == []


def test_every_metric_a_rule_reads_has_a_unit_and_names() -> None:
    used = {getattr(r, "metric", None) for r in load_rules(None).rules} - {None}
    used |= {m for r in load_rules(None).rules for m in getattr(r, "metrics", [])}
    assert used - set(METRICS) == set()


def test_values_carry_their_unit_and_decimals() -> None:
    assert metric_text("lel_pct", 60.0) == "60.0 %LEL"
    assert metric_text("secondary_supply_pressure_mpa", 0.25) == "0.25 MPa"
    assert metric_text("unknown_metric", 1.23456) == "1.235"
    assert metric_text("lel_pct", None) == "—"


def test_every_seeded_district_and_site_type_has_a_name_in_both_languages() -> None:
    for lang in LANGS:
        table = tables()[lang]
        assert isinstance(table, dict)
        assert {f"district.{d}" for d in DISTRICTS} <= table.keys()
        assert {f"site.{s}" for s in SITE_TYPES} <= table.keys()
