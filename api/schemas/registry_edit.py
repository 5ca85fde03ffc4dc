"""What an administrator may change on a registry entry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ChannelEdit"]


class ChannelEdit(BaseModel):
    """Fields to change on a gas channel; the rest stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    district: str | None = Field(default=None, min_length=1, max_length=50)
    site_type: str | None = Field(default=None, min_length=1, max_length=50)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    owner: str | None = Field(default=None, min_length=1, max_length=64, description="utility id")
    low_pct: float | None = Field(
        default=None, gt=0, lt=100, description="first-level alarm, % LEL"
    )
    high_pct: float | None = Field(default=None, gt=0, le=100, description="second-level, % LEL")
