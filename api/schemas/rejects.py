"""Dead letters (rejected messages and records) as the API shows them."""

from __future__ import annotations

import base64

from pydantic import BaseModel, Field

from api.schemas.common import OutModel
from lifeline.core.ports import DeadLetter

__all__ = ["RejectOut", "RejectSummary"]


class RejectOut(OutModel):
    id: int
    received_at: str
    received_at_ms: int
    topic: str
    utility_id: str | None
    reason: str
    detail: str
    index: int | None
    payload_size: int
    payload_text: str = Field(description="payload decoded as UTF-8 (bad bytes become U+FFFD)")
    payload_base64: str = Field(description="the exact payload bytes, base64")

    @classmethod
    def of(cls, letter: DeadLetter) -> RejectOut:
        return cls.fill(
            letter,
            payload_size=len(letter.payload),
            payload_text=letter.payload.decode("utf-8", errors="replace"),
            payload_base64=base64.b64encode(letter.payload).decode("ascii"),
        )


class RejectSummary(BaseModel):
    total: int
    by_reason: dict[str, int] = Field(description="dead letters per reason code, largest first")
