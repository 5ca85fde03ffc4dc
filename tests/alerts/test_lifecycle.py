"""The ISA-18.2 alert state machine: every transition, and the invalid ones."""

from __future__ import annotations

import msgspec
import pytest

from alerts import lifecycle
from lifeline.core.alert import Alert, AlertCategory, AlertState, Severity
from lifeline.core.errors import TransitionError
from lifeline.core.ids import SourceKind

AU = AlertState.ACTIVE_UNACKED
AA = AlertState.ACTIVE_ACKED
CU = AlertState.CLEARED_UNACKED
CLOSED = AlertState.CLOSED
SH = AlertState.SHELVED
OOS = AlertState.OUT_OF_SERVICE


def raised(severity: Severity = Severity.MAJOR) -> Alert:
    alert, entry = lifecycle.raise_alert(
        source_id="GAS-0001",
        source_kind=SourceKind.GAS_CHANNEL,
        rule="gas_leak",
        severity=severity,
        category=AlertCategory.ALARM,
        message="leak",
        value=25.0,
        threshold=20.0,
        ts_ms=1000,
        district="市南",
    )
    assert entry.action == "raise"
    assert entry.actor == "system"
    assert entry.from_state is None
    assert entry.to_state is AU
    return msgspec.structs.replace(alert, id=7)


def in_state(state: AlertState, condition_active: bool = True) -> Alert:
    return msgspec.structs.replace(raised(), state=state, condition_active=condition_active)


def test_raise_creates_an_active_unacked_alert() -> None:
    alert = raised()
    assert alert.state is AU
    assert alert.condition_active
    assert alert.count == 1
    assert alert.raised_at_ms == 1000
    assert alert.district == "市南"


def test_repeat_counts_and_updates_value_without_an_audit_entry() -> None:
    alert, entry = lifecycle.update(
        raised(), severity=Severity.MAJOR, message="m2", value=30.0, threshold=20.0, ts_ms=2000
    )
    assert entry is None
    assert (alert.state, alert.count, alert.value, alert.updated_at_ms) == (AU, 2, 30.0, 2000)


def test_escalation_is_audited_and_returns_an_acked_alert_to_unacked() -> None:
    acked = in_state(AA)
    alert, entry = lifecycle.update(
        acked, severity=Severity.CRITICAL, message="m", value=60.0, threshold=50.0, ts_ms=2000
    )
    assert entry is not None
    assert entry.action == "escalate"
    assert (entry.from_state, entry.to_state) == (AA, AU)
    assert alert.severity is Severity.CRITICAL


def test_deescalation_keeps_the_state() -> None:
    acked = msgspec.structs.replace(in_state(AA), severity=Severity.CRITICAL)
    alert, entry = lifecycle.update(
        acked, severity=Severity.MAJOR, message="m", value=30.0, threshold=20.0, ts_ms=2000
    )
    assert entry is not None
    assert entry.action == "deescalate"
    assert alert.state is AA


def test_clear_of_unacked_goes_to_cleared_unacked_and_of_acked_closes() -> None:
    cleared, entry = lifecycle.clear(raised(), 5000)
    assert (cleared.state, cleared.condition_active, cleared.cleared_at_ms) == (CU, False, 5000)
    assert entry.action == "clear"
    closed, _ = lifecycle.clear(in_state(AA), 5000)
    assert closed.state is CLOSED
    assert closed.closed_at_ms == 5000


def test_reactivation_of_a_cleared_unacked_alert_is_the_same_alert() -> None:
    cleared, _ = lifecycle.clear(raised(), 5000)
    alert, entry = lifecycle.update(
        cleared, severity=Severity.MAJOR, message="m", value=25.0, threshold=20.0, ts_ms=6000
    )
    assert entry is not None
    assert entry.action == "reactivate"
    assert (alert.id, alert.state, alert.count, alert.cleared_at_ms) == (7, AU, 2, None)


def test_clear_of_an_already_clear_condition_is_refused() -> None:
    with pytest.raises(TransitionError):
        lifecycle.clear(in_state(CU, condition_active=False), 1)


def test_ack_of_active_unacked_acknowledges_with_actor_and_note() -> None:
    alert, entry = lifecycle.ack(raised(), "op1", 9000, "crew sent")
    assert (alert.state, alert.acked_by, alert.acked_at_ms, alert.note) == (
        AA,
        "op1",
        9000,
        "crew sent",
    )
    assert (entry.actor, entry.action, entry.note, entry.from_state, entry.to_state) == (
        "op1",
        "ack",
        "crew sent",
        AU,
        AA,
    )


def test_ack_of_cleared_alert_closes_it() -> None:
    alert, _ = lifecycle.ack(in_state(CU, condition_active=False), "op1", 9000)
    assert alert.state is CLOSED
    assert alert.closed_at_ms == 9000


@pytest.mark.parametrize("state", [AA, CLOSED, SH, OOS])
def test_ack_is_refused_outside_unacked_states(state: AlertState) -> None:
    with pytest.raises(TransitionError):
        lifecycle.ack(in_state(state), "op1", 1)


@pytest.mark.parametrize("state", [AU, AA, CU])
def test_shelve_from_an_open_state_sets_the_expiry(state: AlertState) -> None:
    alert, entry = lifecycle.shelve(in_state(state), "op1", 1000, 60_000, "noisy")
    assert alert.state is SH
    assert alert.shelved_until_ms == 61_000
    assert entry.from_state is state


@pytest.mark.parametrize("state", [SH, OOS, CLOSED])
def test_shelve_is_refused_from_shelved_out_of_service_and_closed(state: AlertState) -> None:
    with pytest.raises(TransitionError):
        lifecycle.shelve(in_state(state), "op1", 1000, 60_000)


def test_shelve_needs_a_positive_duration() -> None:
    with pytest.raises(TransitionError):
        lifecycle.shelve(raised(), "op1", 1000, 0)


def test_unshelve_returns_to_unacked_when_the_condition_is_active_else_closes() -> None:
    shelved, _ = lifecycle.shelve(raised(), "op1", 1000, 60_000)
    back, entry = lifecycle.unshelve(shelved, "op2", 2000)
    assert (back.state, back.shelved_until_ms, entry.actor) == (AU, None, "op2")
    quiet = msgspec.structs.replace(shelved, condition_active=False)
    closed, _ = lifecycle.unshelve(quiet, "op2", 2000)
    assert closed.state is CLOSED


def test_shelf_expiry_is_a_system_transition_and_only_after_the_expiry() -> None:
    shelved, _ = lifecycle.shelve(raised(), "op1", 1000, 60_000)
    with pytest.raises(TransitionError):
        lifecycle.expire_shelf(shelved, 60_999)
    back, entry = lifecycle.expire_shelf(shelved, 61_000)
    assert (back.state, entry.actor, entry.action) == (AU, "system", "shelve_expired")


def test_condition_changes_while_shelved_are_tracked_without_leaving_the_shelf() -> None:
    shelved, _ = lifecycle.shelve(raised(), "op1", 1000, 60_000)
    cleared, _ = lifecycle.clear(shelved, 2000)
    assert (cleared.state, cleared.condition_active) == (SH, False)
    again, entry = lifecycle.update(
        cleared, severity=Severity.MAJOR, message="m", value=1.0, threshold=1.0, ts_ms=3000
    )
    assert (again.state, again.condition_active) == (SH, True)
    assert entry is not None
    assert entry.action == "reactivate"


def test_unshelve_of_an_unshelved_alert_is_refused() -> None:
    with pytest.raises(TransitionError):
        lifecycle.unshelve(raised(), "op1", 1)


@pytest.mark.parametrize("state", [AU, AA, CU, SH])
def test_out_of_service_and_back(state: AlertState) -> None:
    oos, entry = lifecycle.out_of_service(in_state(state), "op1", 1000, "maintenance")
    assert oos.state is OOS
    assert entry.action == "out_of_service"
    back, _ = lifecycle.return_to_service(oos, "op1", 2000)
    assert back.state is AU
    quiet = msgspec.structs.replace(oos, condition_active=False)
    assert lifecycle.return_to_service(quiet, "op1", 2000)[0].state is CLOSED


def test_out_of_service_twice_and_return_when_in_service_are_refused() -> None:
    with pytest.raises(TransitionError):
        lifecycle.out_of_service(in_state(OOS), "op1", 1)
    with pytest.raises(TransitionError):
        lifecycle.return_to_service(raised(), "op1", 1)


@pytest.mark.parametrize("state", [AU, AA, CU, SH, OOS])
def test_close_from_any_open_state(state: AlertState) -> None:
    alert, entry = lifecycle.close(in_state(state), "op1", 1000, "false alarm")
    assert (alert.state, alert.closed_at_ms, alert.note) == (CLOSED, 1000, "false alarm")
    assert (entry.actor, entry.action, entry.from_state) == ("op1", "close", state)


@pytest.mark.parametrize("state", [AU, AA, CU, SH, OOS])
def test_assign_keeps_the_state_in_any_open_state(state: AlertState) -> None:
    alert, entry = lifecycle.assign(in_state(state), "op1", 1000, "crew-7")
    assert (alert.state, alert.assigned_to) == (state, "crew-7")
    assert entry.note == "assigned to crew-7"


def test_assign_needs_an_assignee() -> None:
    with pytest.raises(TransitionError):
        lifecycle.assign(raised(), "op1", 1, None)


@pytest.mark.parametrize(
    "action",
    [
        lambda a: lifecycle.close(a, "op", 1),
        lambda a: lifecycle.assign(a, "op", 1, "crew"),
        lambda a: lifecycle.clear(a, 1),
        lambda a: lifecycle.update(
            a, severity=Severity.MAJOR, message="", value=None, threshold=None, ts_ms=1
        ),
    ],
)
def test_nothing_happens_to_a_closed_alert(action: object) -> None:
    with pytest.raises(TransitionError):
        action(in_state(CLOSED))  # type: ignore[operator]
