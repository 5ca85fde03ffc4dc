"""A registry import's answer: counts, every bad row with its faults, what changed."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["ImportOut", "RowErrorOut"]


class RowErrorOut(BaseModel):
    row: int = Field(description="row number in the sheet (the header is row 1)")
    column: str | None
    message: str = Field(description="in English")
    code: str = Field(description="the fault: a page words it in its own language")
    params: dict[str, str] = Field(description="values the wording names")


class ImportOut(BaseModel):
    kind: str
    dry_run: bool
    applied: bool = Field(description="the good rows were saved (never on a dry run)")
    rows: int = Field(description="data rows read")
    added: int
    updated: int
    unchanged: int
    rejected_rows: int = Field(description="rows left out for their faults")
    errors: list[RowErrorOut] = Field(description="every fault of every rejected row (≤ 1000)")
    ignored_columns: list[str]
    added_ids: list[str] = Field(description="the first 100")
    updated_ids: list[str] = Field(description="the first 100")
