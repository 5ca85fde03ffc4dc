"""Notification settings and history as the API shows them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from lifeline.core.notifications import Attempt, Item
from lifeline.core.timeutil import iso_ms

__all__ = ["AttemptOut", "HistoryOut", "ItemOut", "RoutesOut", "TestOut"]


class ItemOut(BaseModel):
    id: int
    key: str
    kind: str = Field(
        description="firing | repeat | escalation | acknowledged | resolved | dispatch | digest"
    )
    receiver: str = Field(description="a receiver, or a roster resolved when sent")
    route: str
    step: int
    state: str = Field(
        description="pending | sending | sent | failed | cancelled | grouped | digested"
    )
    due_at: str
    created_at: str
    done_at: str | None
    attempts: int
    result: str

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        return cls(
            id=item.id,
            key=item.key,
            kind=item.kind,
            receiver=item.receiver,
            route=item.route,
            step=item.step,
            state=item.state.value,
            due_at=iso_ms(item.due_ms),
            created_at=iso_ms(item.created_ms),
            done_at=None if item.done_ms is None else iso_ms(item.done_ms),
            attempts=item.attempts,
            result=item.result,
        )


class AttemptOut(BaseModel):
    item_id: int
    at: str
    receiver: str
    kind: str
    ok: bool
    retryable: bool
    result: str

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        return cls(
            item_id=attempt.item_id,
            at=iso_ms(attempt.at_ms),
            receiver=attempt.receiver,
            kind=attempt.kind,
            ok=attempt.ok,
            retryable=attempt.retryable,
            result=attempt.result,
        )


class HistoryOut(BaseModel):
    alert_id: int
    items: list[ItemOut]
    attempts: list[AttemptOut]


class RoutesOut(BaseModel):
    routes: list[dict[str, Any]]
    rosters: list[dict[str, Any]]
    crews: dict[str, list[str]]
    link_base: str


class TestOut(BaseModel):
    receiver: str
    ok: bool
    retryable: bool
    result: str
    at: str
