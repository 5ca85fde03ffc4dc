"""Shapes shared by every resource: the paginated list and time rendering."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from lifeline.core.timeutil import iso_ms

__all__ = ["Page", "PointOut", "iso_or_none"]

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: ``total`` counts every match, not only this page."""

    items: list[ItemT]
    total: int = Field(ge=0)


class PointOut(BaseModel):
    ts: str
    ts_ms: int
    value: float


def iso_or_none(ms: int | None) -> str | None:
    return None if ms is None else iso_ms(ms)
