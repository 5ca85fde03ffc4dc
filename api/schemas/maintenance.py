"""Maintenance windows as the API takes and shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import OutModel
from lifeline.core.maintenance import MaintenanceWindow

__all__ = [
    "MaintenanceCreate",
    "MaintenanceOut",
    "MaintenancePatch",
    "SourceMaintenance",
    "status_of",
]

Instant = str | int
_INSTANT = "RFC 3339 with an offset, or epoch ms"
Status = Literal["scheduled", "active", "over", "cancelled"]


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_id: str = Field(
        min_length=1,
        max_length=64,
        description="a channel, meter, station or enterprise id (an enterprise: with all its "
        "stations)",
    )
    start: Instant = Field(description=_INSTANT)
    end: Instant = Field(description=_INSTANT)
    reason: str = Field(min_length=1, max_length=200)


class MaintenancePatch(BaseModel):
    """New times or reason of a window that is not over; the rest stay."""

    model_config = ConfigDict(extra="forbid")

    start: Instant | None = Field(default=None, description=_INSTANT)
    end: Instant | None = Field(default=None, description=_INSTANT)
    reason: str | None = Field(default=None, min_length=1, max_length=200)


def status_of(window: MaintenanceWindow, now_ms: int) -> Status:
    if window.cancelled_at_ms is not None:
        return "cancelled"
    if now_ms >= window.end_ms:
        return "over"
    return "active" if now_ms >= window.start_ms else "scheduled"


class SourceMaintenance(OutModel):
    """The window a source is in now (the field ``maintenance`` of a source's state)."""

    id: int
    target_id: str
    reason: str
    start: str
    start_ms: int
    end: str
    end_ms: int

    @classmethod
    def of_window(cls, window: MaintenanceWindow | None) -> SourceMaintenance | None:
        return None if window is None else cls.fill(window)


class MaintenanceOut(SourceMaintenance):
    target_kind: str | None = Field(description="gas_channel, meter, station, enterprise")
    target_name: str | None
    status: Status
    created_by: str
    created_at: str
    created_at_ms: int
    updated_by: str | None
    updated_at: str | None
    updated_at_ms: int | None
    cancelled_by: str | None
    cancelled_at: str | None
    cancelled_at_ms: int | None

    @classmethod
    def of(
        cls, window: MaintenanceWindow, kind: str | None, name: str | None, now_ms: int
    ) -> MaintenanceOut:
        return cls.fill(
            window, target_kind=kind, target_name=name, status=status_of(window, now_ms)
        )
