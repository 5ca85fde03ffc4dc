"""What a rule says about one series after a record: :class:`Evaluation`.

Every state machine (threshold, events, stuck, deadman) returns one; the engine turns
it into lifecycle transitions. An evaluation is *level-triggered*: it says whether the
condition holds now, not what changed, so the engine can reconcile with any alert.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from lifeline.core.alert import SEVERITY_RANK, Severity

__all__ = ["Evaluation", "combine"]


class Evaluation(msgspec.Struct, frozen=True):
    """``active``: the condition holds; ``momentary``: it held for an instant (raise,
    then clear at once). ``severity`` is set whenever ``active`` or ``momentary``."""

    active: bool
    severity: Severity | None = None
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    momentary: bool = False


def combine(evaluations: Iterable[Evaluation | None]) -> Evaluation | None:
    """One evaluation from several parts of a rule: active if any part is active, with
    the highest severity (ties go to the first part). ``None`` parts have no opinion."""
    parts = [e for e in evaluations if e is not None]
    if not parts:
        return None
    raised = [e for e in parts if (e.active or e.momentary) and e.severity is not None]
    if not raised:
        return parts[0]
    best = raised[0]
    for candidate in raised[1:]:
        assert candidate.severity is not None
        assert best.severity is not None
        if SEVERITY_RANK[candidate.severity] > SEVERITY_RANK[best.severity]:
            best = candidate
    if best.momentary and any(e.active for e in raised):
        # a latched part keeps the condition active; the pulse only sets severity
        return msgspec.structs.replace(best, active=True, momentary=False)
    return best
