"""Search hits across the registry and the utilities that own its sources."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lifeline.core.ids import SourceKind

__all__ = ["SearchHit", "UtilityOut"]


class SearchHit(BaseModel):
    kind: SourceKind
    id: str
    name: str = Field(description="the entry's name (a meter's address: meters have none)")
    address: str | None
    district: str
    owner: str = Field(description="owning utility id")
    owner_name: str | None = Field(description="owning utility's name")
    enterprise_id: str | None = Field(description="stations: their enterprise")
    lat: float
    lon: float


class UtilityOut(BaseModel):
    id: str
    name: str
    kind: str = Field(description="gas | heating")
