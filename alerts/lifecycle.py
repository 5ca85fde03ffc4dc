"""The ISA-18.2 alert state machine on :class:`lifeline.core.alert.Alert`. Pure.

Every transition returns ``(new_alert, audit_entry)``; invalid ones raise
:class:`TransitionError`. Rule-driven transitions are audited as actor ``"system"``.

Condition (rule-driven)::

    raise            -> active_unacked (new alert)
    repeat           same alert, count+1, value/severity/message updated; no audit
                     entry unless the severity changes. Escalation of an active_acked
                     alert returns it to active_unacked (worse must be re-acknowledged).
    clear            active_unacked -> cleared_unacked; active_acked -> closed
    re-activate      cleared_unacked -> active_unacked (same alert, count+1)
    (shelved and out_of_service alerts only track ``condition_active``)

Operator::

    ack              active_unacked -> active_acked; cleared_unacked -> closed
    shelve           active_*/cleared_unacked -> shelved until ``shelved_until_ms``
    unshelve/expiry  shelved -> active_unacked if the condition is active, else closed
                     (ISA-18.2: the alarm returns to normal processing)
    out_of_service   active_*/cleared_unacked/shelved -> out_of_service
    return           out_of_service -> active_unacked if condition active, else closed
    close            any open state -> closed (if the condition is still active the
                     engine does not re-raise until it clears and trips again), with an
                     optional resolution ``cause`` kept on the alert and its audit entry
    assign           any open state, state unchanged, ``assigned_to`` set
"""

from __future__ import annotations

import msgspec

from lifeline.core.alert import (
    OPEN_STATES,
    SEVERITY_RANK,
    Alert,
    AlertAction,
    AlertCategory,
    AlertCommand,
    AlertState,
    AuditEntry,
    ResolutionCause,
    Severity,
)
from lifeline.core.errors import TransitionError
from lifeline.core.ids import SourceKind

__all__ = [
    "SYSTEM",
    "Transition",
    "ack",
    "act",
    "assign",
    "clear",
    "close",
    "expire_shelf",
    "out_of_service",
    "raise_alert",
    "return_to_service",
    "shelve",
    "unshelve",
    "update",
]

SYSTEM = "system"
Transition = tuple[Alert, AuditEntry]

_ACTIVE = frozenset({AlertState.ACTIVE_UNACKED, AlertState.ACTIVE_ACKED})
_SHELVABLE = frozenset({*_ACTIVE, AlertState.CLEARED_UNACKED})
_SUPPRESSED = frozenset({AlertState.SHELVED, AlertState.OUT_OF_SERVICE})
_CAUSES = frozenset(c.value for c in ResolutionCause)


def _entry(
    before: Alert | None, after: Alert, at_ms: int, actor: str, action: str, note: str | None
) -> AuditEntry:
    return AuditEntry(
        alert_id=after.id,
        at_ms=at_ms,
        actor=actor,
        action=action,
        from_state=None if before is None else before.state,
        to_state=after.state,
        note=note,
    )


def raise_alert(
    *,
    source_id: str,
    source_kind: SourceKind,
    rule: str,
    severity: Severity,
    category: AlertCategory,
    message: str,
    value: float | None,
    threshold: float | None,
    ts_ms: int,
    district: str | None = None,
    enterprise_id: str | None = None,
    utility_id: str | None = None,
    suppressed: str | None = None,
) -> Transition:
    """A new alert in ``active_unacked`` (``id`` 0 until stored); ``suppressed`` (why,
    e.g. a maintenance window) raises it ``out_of_service`` instead: recorded and
    audited, but nobody is alerted (ISA-18.2 "suppressed by design")."""
    alert = Alert(
        source_id=source_id,
        source_kind=source_kind,
        rule=rule,
        severity=severity,
        state=AlertState.ACTIVE_UNACKED if suppressed is None else AlertState.OUT_OF_SERVICE,
        message=message,
        raised_at_ms=ts_ms,
        updated_at_ms=ts_ms,
        category=category,
        value=value,
        threshold=threshold,
        district=district,
        enterprise_id=enterprise_id,
        utility_id=utility_id,
    )
    note = message if suppressed is None else f"{message} (suppressed: {suppressed})"
    return alert, _entry(None, alert, ts_ms, SYSTEM, "raise", note)


def update(
    alert: Alert,
    *,
    severity: Severity,
    message: str,
    value: float | None,
    threshold: float | None,
    ts_ms: int,
) -> tuple[Alert, AuditEntry | None]:
    """The condition holds (again): repeat, escalate/de-escalate, or re-activate.

    Returns no audit entry for a plain repeat (same state, same severity)."""
    _require_open(alert, "update")
    changes: dict[str, object] = {
        "severity": severity,
        "message": message,
        "value": value,
        "threshold": threshold,
        "updated_at_ms": max(ts_ms, alert.updated_at_ms),
        "count": alert.count + 1,
        "condition_active": True,
    }
    rank_change = SEVERITY_RANK[severity] - SEVERITY_RANK[alert.severity]
    action: str | None = None
    if alert.state is AlertState.CLEARED_UNACKED:
        changes.update(state=AlertState.ACTIVE_UNACKED, cleared_at_ms=None)
        action = "reactivate"
    elif alert.state in _SUPPRESSED and not alert.condition_active:
        changes.update(cleared_at_ms=None)
        action = "reactivate"
    elif rank_change > 0:
        action = "escalate"
        if alert.state is AlertState.ACTIVE_ACKED:
            changes.update(state=AlertState.ACTIVE_UNACKED)
    elif rank_change < 0:
        action = "deescalate"
    new = msgspec.structs.replace(alert, **changes)
    if action is None:
        return new, None
    note = message if action == "reactivate" else f"{alert.severity} -> {severity}"
    return new, _entry(alert, new, ts_ms, SYSTEM, action, note)


def clear(alert: Alert, ts_ms: int) -> Transition:
    """The condition no longer holds."""
    _require_open(alert, "clear")
    if not alert.condition_active:
        raise TransitionError(f"alert {alert.id}: condition is already clear")
    changes: dict[str, object] = {
        "condition_active": False,
        "cleared_at_ms": ts_ms,
        "updated_at_ms": max(ts_ms, alert.updated_at_ms),
    }
    if alert.state is AlertState.ACTIVE_UNACKED:
        changes["state"] = AlertState.CLEARED_UNACKED
    elif alert.state is AlertState.ACTIVE_ACKED:
        changes.update(state=AlertState.CLOSED, closed_at_ms=ts_ms)
    new = msgspec.structs.replace(alert, **changes)
    return new, _entry(alert, new, ts_ms, SYSTEM, "clear", None)


def ack(alert: Alert, actor: str, now_ms: int, note: str | None = None) -> Transition:
    if alert.state is AlertState.ACTIVE_UNACKED:
        state = AlertState.ACTIVE_ACKED
    elif alert.state is AlertState.CLEARED_UNACKED:
        state = AlertState.CLOSED
    else:
        raise TransitionError(f"alert {alert.id}: cannot acknowledge in state {alert.state}")
    new = msgspec.structs.replace(
        alert,
        state=state,
        acked_by=actor,
        acked_at_ms=now_ms,
        note=note if note is not None else alert.note,
        updated_at_ms=now_ms,
        closed_at_ms=now_ms if state is AlertState.CLOSED else None,
    )
    return new, _entry(alert, new, now_ms, actor, "ack", note)


def shelve(
    alert: Alert, actor: str, now_ms: int, duration_ms: int, note: str | None = None
) -> Transition:
    """Shelve for ``duration_ms`` (> 0); no notifications until unshelved or expired."""
    if alert.state not in _SHELVABLE:
        raise TransitionError(f"alert {alert.id}: cannot shelve in state {alert.state}")
    if duration_ms <= 0:
        raise TransitionError(f"alert {alert.id}: shelve duration must be positive")
    new = msgspec.structs.replace(
        alert,
        state=AlertState.SHELVED,
        shelved_until_ms=now_ms + duration_ms,
        note=note if note is not None else alert.note,
        updated_at_ms=now_ms,
    )
    return new, _entry(alert, new, now_ms, actor, "shelve", note)


def unshelve(alert: Alert, actor: str, now_ms: int, note: str | None = None) -> Transition:
    if alert.state is not AlertState.SHELVED:
        raise TransitionError(f"alert {alert.id}: not shelved (state {alert.state})")
    return _back_to_service(alert, actor, now_ms, "unshelve", note)


def expire_shelf(alert: Alert, now_ms: int) -> Transition:
    """The shelf time has run out (``now_ms >= shelved_until_ms``)."""
    if alert.state is not AlertState.SHELVED:
        raise TransitionError(f"alert {alert.id}: not shelved (state {alert.state})")
    if alert.shelved_until_ms is not None and now_ms < alert.shelved_until_ms:
        raise TransitionError(f"alert {alert.id}: shelf has not expired")
    return _back_to_service(alert, SYSTEM, now_ms, "shelve_expired", None)


def out_of_service(alert: Alert, actor: str, now_ms: int, note: str | None = None) -> Transition:
    if alert.state not in _SHELVABLE and alert.state is not AlertState.SHELVED:
        raise TransitionError(f"alert {alert.id}: cannot take out of service in {alert.state}")
    new = msgspec.structs.replace(
        alert,
        state=AlertState.OUT_OF_SERVICE,
        shelved_until_ms=None,
        note=note if note is not None else alert.note,
        updated_at_ms=now_ms,
    )
    return new, _entry(alert, new, now_ms, actor, "out_of_service", note)


def return_to_service(alert: Alert, actor: str, now_ms: int, note: str | None = None) -> Transition:
    if alert.state is not AlertState.OUT_OF_SERVICE:
        raise TransitionError(f"alert {alert.id}: not out of service (state {alert.state})")
    return _back_to_service(alert, actor, now_ms, "return_to_service", note)


def close(
    alert: Alert, actor: str, now_ms: int, note: str | None = None, cause: str | None = None
) -> Transition:
    """Close; ``cause`` (a :class:`ResolutionCause` value) says what the crew found."""
    _require_open(alert, "close")
    if cause is not None and cause not in _CAUSES:
        raise TransitionError(
            f"alert {alert.id}: unknown cause {cause!r} (known: {', '.join(sorted(_CAUSES))})"
        )
    new = msgspec.structs.replace(
        alert,
        state=AlertState.CLOSED,
        closed_at_ms=now_ms,
        shelved_until_ms=None,
        note=note if note is not None else alert.note,
        updated_at_ms=now_ms,
        cause=cause,
    )
    entry = _entry(alert, new, now_ms, actor, "close", note)
    return new, msgspec.structs.replace(entry, cause=cause)


def assign(
    alert: Alert, actor: str, now_ms: int, assignee: str | None, note: str | None = None
) -> Transition:
    _require_open(alert, "assign")
    if not assignee:
        raise TransitionError(f"alert {alert.id}: assign needs an assignee")
    new = msgspec.structs.replace(
        alert,
        assigned_to=assignee,
        note=note if note is not None else alert.note,
        updated_at_ms=now_ms,
    )
    return new, _entry(alert, new, now_ms, actor, "assign", note or f"assigned to {assignee}")


def _back_to_service(
    alert: Alert, actor: str, now_ms: int, action: str, note: str | None
) -> Transition:
    if alert.condition_active:
        changes: dict[str, object] = {"state": AlertState.ACTIVE_UNACKED}
    else:
        changes = {"state": AlertState.CLOSED, "closed_at_ms": now_ms}
    new = msgspec.structs.replace(
        alert,
        **changes,
        shelved_until_ms=None,
        note=note if note is not None else alert.note,
        updated_at_ms=now_ms,
    )
    return new, _entry(alert, new, now_ms, actor, action, note)


def _require_open(alert: Alert, action: str) -> None:
    if alert.state not in OPEN_STATES:
        raise TransitionError(f"alert {alert.id}: cannot {action} a closed alert")


def act(alert: Alert, command: AlertCommand, now_ms: int, max_shelve_ms: int) -> Transition:
    """An operator's command on ``alert``: the one entry point of the operator
    transitions above; raises :class:`TransitionError` for a wrong combination."""
    action, actor, note = command.action, command.actor, command.note
    if command.cause is not None and action is not AlertAction.CLOSE:
        raise TransitionError(f"a cause is given with close only, not with {action}")
    if action is AlertAction.ACK:
        return ack(alert, actor, now_ms, note)
    if action is AlertAction.SHELVE:
        shelve_ms = command.shelve_ms
        if shelve_ms is None:
            raise TransitionError("shelve needs a duration (shelve_ms)")
        if shelve_ms > max_shelve_ms:
            raise TransitionError(
                f"shelve duration {shelve_ms} ms exceeds the maximum {max_shelve_ms} ms"
            )
        return shelve(alert, actor, now_ms, shelve_ms, note)
    if action is AlertAction.UNSHELVE:
        return unshelve(alert, actor, now_ms, note)
    if action is AlertAction.CLOSE:
        return close(alert, actor, now_ms, note, command.cause)
    if action is AlertAction.OUT_OF_SERVICE:
        return out_of_service(alert, actor, now_ms, note)
    if action is AlertAction.RETURN_TO_SERVICE:
        return return_to_service(alert, actor, now_ms, note)
    if action is AlertAction.ASSIGN:
        return assign(alert, actor, now_ms, command.assignee, note)
    raise TransitionError(f"unknown action {action!r}")
