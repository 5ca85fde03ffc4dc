"""Dry run of a rules or set-point change: which open alerts it would change. Pure.

For a threshold rule the open alert's newest value is judged by the new levels (the
channel's own set-points for ``levels_from_registry`` rules): it would *clear* (the
value is no longer past any level, deadband included), take another *severity*, or
stay. An alert of a removed rule would be *orphaned* (no rule clears it: an operator
closes it). For other rule types a changed rule is *re-evaluated* from the next record
(their state — a run, a silence, a learned baseline — is not in the alert).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

import msgspec

from alerts.machines.threshold import Level, ThresholdRule, level_index
from alerts.rules import Rule, RuleSet
from lifeline.core.alert import Alert, Severity
from lifeline.core.registry import Channel

__all__ = ["AlertChange", "Outcome", "dry_run", "threshold_outcome"]

ChannelOf = Callable[[str], Channel | None]


class Outcome(enum.StrEnum):
    CLEAR = "clear"
    SEVERITY = "severity"
    ORPHANED = "orphaned"
    REEVALUATED = "reevaluated"


class AlertChange(msgspec.Struct, frozen=True):
    alert_id: int
    source_id: str
    rule: str
    state: str
    severity: Severity
    outcome: Outcome
    new_severity: Severity | None = None
    value: float | None = None


def _levels(rule: ThresholdRule, channel: Channel | None) -> list[Level]:
    if rule.levels_from_registry and channel is not None and channel.low_pct < channel.high_pct:
        low, high = rule.levels
        return [Level(channel.low_pct, low.severity), Level(channel.high_pct, high.severity)]
    return rule.levels


def threshold_outcome(
    rule: ThresholdRule, alert: Alert, channel: Channel | None
) -> tuple[Outcome, Severity | None] | None:
    """What the new ``rule`` (and ``channel``'s set-points) would do to an open alert
    whose condition is active; None when nothing changes."""
    if alert.value is None or not alert.condition_active:
        return None
    levels = _levels(rule, channel)
    held = max((i for i, x in enumerate(levels) if x.severity is alert.severity), default=-1)
    index = level_index(alert.value, levels, rule.direction, rule.deadband, held)
    if index < 0:
        return None if rule.events is not None else (Outcome.CLEAR, None)
    severity = levels[index].severity
    return None if severity is alert.severity else (Outcome.SEVERITY, severity)


def _change(alert: Alert, outcome: Outcome, severity: Severity | None = None) -> AlertChange:
    return AlertChange(
        alert.id,
        alert.source_id,
        alert.rule,
        alert.state.value,
        alert.severity,
        outcome,
        severity,
        alert.value,
    )


def _judge(old: Rule, new: Rule | None, alert: Alert, channel_of: ChannelOf) -> AlertChange | None:
    if new is None:
        return _change(alert, Outcome.ORPHANED)
    if new == old:
        return None
    if isinstance(new, ThresholdRule):
        found = threshold_outcome(new, alert, channel_of(alert.source_id))
        return None if found is None else _change(alert, *found)
    return _change(alert, Outcome.REEVALUATED)


def dry_run(
    old: RuleSet, new: RuleSet, open_alerts: Iterable[Alert], channel_of: ChannelOf
) -> list[AlertChange]:
    """Open alerts that ``new`` instead of ``old`` would change, by alert id
    (``channel_of``: the channels' set-points for ``levels_from_registry`` rules)."""
    before, after = old.by_name, new.by_name
    changes = []
    for alert in sorted(open_alerts, key=lambda a: a.id):
        rule = before.get(alert.rule)
        if rule is None:
            continue  # not a rule of this set (a test notification ...)
        found = _judge(rule, after.get(alert.rule), alert, channel_of)
        if found is not None:
            changes.append(found)
    return changes
