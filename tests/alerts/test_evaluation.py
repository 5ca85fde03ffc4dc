"""Combining the parts of one rule (gas_leak: LEL threshold OR device alarm)."""

from __future__ import annotations

from alerts.evaluation import Evaluation, combine
from lifeline.core.alert import Severity


def test_combined_condition_is_active_if_any_part_is_with_the_highest_severity() -> None:
    threshold = Evaluation(True, Severity.MAJOR, value=25.0, message="lel")
    device = Evaluation(True, Severity.CRITICAL, message="alarm_high")
    assert combine([threshold, device]) == device
    assert combine([Evaluation(False, value=3.0), device]) == device


def test_combined_condition_is_inactive_only_when_all_parts_are() -> None:
    combined = combine([Evaluation(False, value=3.0), Evaluation(False), None])
    assert combined is not None
    assert not combined.active
    assert combine([None, None]) is None
