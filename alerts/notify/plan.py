"""What one alert transition means for notifications: :func:`plan`. Pure.

For each row of the alert audit log (a transition) the centre asks :func:`plan` which
items to put in the outbox and which pending ones to cancel:

- a new alert, a cleared alert coming back, an alert back to normal processing
  (unshelve, shelf expiry, return to service) and an escalation of its severity open
  a *firing epoch*: for each route it matches (the first, and later ones with
  ``continue``), a ``firing`` notice to the route's receivers now, one ``escalation``
  item per escalation step (due ``after`` from now, wall clock) and the first
  ``repeat`` (due ``repeat`` from now). A severity escalation cancels the previous
  epoch's escalations and repeats first.
- in a flood (more than ``flood.alerts`` firing notices of the route within
  ``flood.window``) a non-critical firing notice is held (``grouped``) for the route's
  digest, one per ``group_interval``; a critical one still goes out at once.
- acknowledge, clear, shelve, out of service, close: pending escalations and repeats of
  the alert are cancelled; an acknowledgement of an active alert sends
  ``acknowledged``, a clear (or a close while the condition held) sends ``resolved``,
  both to whoever was told of the alert.
- assign: a ``dispatch`` to the crew's receivers (``crews:`` in the file).

Keys are ``a{alert}:{audit row}:{kind}...``: the same row planned twice (a restart
between planning and committing) gives the same keys, and the outbox ignores them.
Escalations and repeats are re-checked when due (the alert must still be active and
unacknowledged), so a cancellation lost to a crash cannot page anyone wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import msgspec

from alerts.notify.config import NotifyConfig, parse_duration_ms
from lifeline.core.alert import Alert, AlertState, AuditEntry, Severity
from lifeline.core.notifications import History, ItemState, Planned

__all__ = ["ESCALATING", "History", "Plan", "labels_of", "plan"]

ESCALATING: Final = ("escalation", "repeat")
_ENDING: Final = frozenset({"ack", "clear", "shelve", "out_of_service", "close"})
_OPENING: Final = frozenset(
    {"raise", "reactivate", "escalate", "unshelve", "expire_shelf", "return_to_service"}
)


class Plan(msgspec.Struct, frozen=True):
    items: tuple[Planned, ...] = ()
    cancel: tuple[int, ...] = ()  # alerts whose pending escalations and repeats end


def labels_of(alert: Alert, district: str, owner: str, category: str) -> dict[str, str]:
    """The labels routes match on."""
    return {
        "severity": alert.severity.value,
        "rule": alert.rule,
        "kind": alert.source_kind.value,
        "district": district,
        "owner": owner,
        "category": category,
    }


def _opens_epoch(entry: AuditEntry) -> bool:
    return entry.to_state is AlertState.ACTIVE_UNACKED and entry.action in _OPENING


def plan(
    entry: AuditEntry,
    alert: Alert,
    labels: Mapping[str, str],
    config: NotifyConfig,
    history: History,
    now_ms: int,
) -> Plan:
    """The outbox changes for one audit row (see the module doc); ``alert`` is the
    alert now (its severity and labels route the row)."""
    tag = f"a{alert.id}:{entry.id}"
    action = entry.action
    if _opens_epoch(entry):
        firing = _firing(tag, alert, labels, config, history, now_ms)
        return Plan(firing, cancel=(alert.id,) if action == "escalate" else ())
    if action == "assign":
        crew = alert.assigned_to or ""
        names = config.crews.get(crew, ())
        return Plan(
            tuple(
                Planned(f"{tag}:dispatch:{n}", "dispatch", n, now_ms, alert.id, crew=crew)
                for n in names
            )
        )
    if action not in _ENDING:
        return Plan()
    notice = ""
    if action == "ack" and entry.to_state is AlertState.ACTIVE_ACKED:
        notice = "acknowledged"
    elif action == "clear" or (
        action == "close" and entry.from_state is not AlertState.CLEARED_UNACKED
    ):
        notice = "resolved"
    items: tuple[Planned, ...] = ()
    if notice:
        items = tuple(
            Planned(f"{tag}:{notice}:{n}", notice, n, now_ms, alert.id, actor=entry.actor)
            for n in history.told(alert.id)
        )
    return Plan(items, cancel=(alert.id,))


def _firing(
    tag: str,
    alert: Alert,
    labels: Mapping[str, str],
    config: NotifyConfig,
    history: History,
    now_ms: int,
) -> tuple[Planned, ...]:
    items: list[Planned] = []
    critical = alert.severity is Severity.CRITICAL
    for index, route in enumerate(config.routes):
        if not route.match.matches(labels):
            continue
        name = config.route_name(index)
        window_ms = parse_duration_ms(route.flood.window)
        flooded = (
            not critical and history.firing_since(name, now_ms - window_ms) >= route.flood.alerts
        )
        interval = route.group_interval_ms
        for receiver in route.notify:
            key = f"{tag}:firing:{name}:{receiver}"
            if flooded:
                items.append(
                    Planned(
                        key, "firing", receiver, now_ms, alert.id, name, state=ItemState.GROUPED
                    )
                )
                bucket = now_ms // interval
                items.append(
                    Planned(
                        f"digest:{name}:{receiver}:{bucket}",
                        "digest",
                        receiver,
                        (bucket + 1) * interval,
                        None,
                        name,
                    )
                )
            else:
                items.append(Planned(key, "firing", receiver, now_ms, alert.id, name))
            if route.repeat_ms is not None:
                items.append(
                    Planned(
                        f"{tag}:repeat1:{name}:{receiver}",
                        "repeat",
                        receiver,
                        now_ms + route.repeat_ms,
                        alert.id,
                        name,
                        step=1,
                    )
                )
        for step, escalation in enumerate(route.escalate, start=1):
            for receiver in escalation.notify:
                items.append(
                    Planned(
                        f"{tag}:escalation{step}:{name}:{receiver}",
                        "escalation",
                        receiver,
                        now_ms + escalation.after_ms,
                        alert.id,
                        name,
                        step=step,
                    )
                )
        if not route.keep_going:
            break
    return tuple(items)
