"""Alarm-system KPIs of a shift as the API shows them (see :mod:`api.kpis`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.kpis import FLOOD_COUNT, STALE_MS, ShiftKpis
from lifeline.core.timeutil import iso_ms

__all__ = ["ChatterOut", "FloodOut", "KpisOut", "NoisySourceOut", "StaleOut"]


class FloodOut(BaseModel):
    start: str
    start_ms: int
    end: str
    end_ms: int
    peak: int = Field(description="most annunciations in one 10-min window")


class ChatterOut(BaseModel):
    source_id: str
    rule: str
    max_per_minute: int
    transitions: int


class StaleOut(BaseModel):
    id: int
    source_id: str
    rule: str
    severity: str
    active_ms: int


class NoisySourceOut(BaseModel):
    source_id: str
    source_kind: str
    count: int
    share: float = Field(description="of all annunciations in the window")


class KpisOut(BaseModel):
    start: str
    start_ms: int
    end: str
    end_ms: int
    hours: float
    annunciations: int = Field(description="raise + reactivate audit entries")
    per_hour: float
    by_severity: dict[str, int]
    hourly: list[int] = Field(description="annunciations per hour bucket, oldest first")
    flood_threshold: int = Field(description=f"> {FLOOD_COUNT} annunciations in 10 min")
    floods: list[FloodOut]
    flood_ms: int
    chattering: list[ChatterOut] = Field(description=">= 3 transitions within a minute")
    stale_after_ms: int
    stale: list[StaleOut]
    top_sources: list[NoisySourceOut]
    acks: int
    mean_ack_ms: int | None

    @classmethod
    def of(cls, k: ShiftKpis) -> KpisOut:
        return cls(
            start=iso_ms(k.start_ms),
            start_ms=k.start_ms,
            end=iso_ms(k.end_ms),
            end_ms=k.end_ms,
            hours=k.hours,
            annunciations=k.annunciations,
            per_hour=k.per_hour,
            by_severity=k.by_severity,
            hourly=k.hourly,
            flood_threshold=FLOOD_COUNT,
            floods=[
                FloodOut(
                    start=iso_ms(f.start_ms),
                    start_ms=f.start_ms,
                    end=iso_ms(f.end_ms),
                    end_ms=f.end_ms,
                    peak=f.peak,
                )
                for f in k.floods
            ],
            flood_ms=k.flood_ms,
            chattering=[
                ChatterOut(
                    source_id=c.source_id,
                    rule=c.rule,
                    max_per_minute=c.max_per_minute,
                    transitions=c.transitions,
                )
                for c in k.chattering
            ],
            stale_after_ms=STALE_MS,
            stale=[
                StaleOut(
                    id=s.id,
                    source_id=s.source_id,
                    rule=s.rule,
                    severity=s.severity.value,
                    active_ms=s.active_ms,
                )
                for s in k.stale
            ],
            top_sources=[
                NoisySourceOut(
                    source_id=n.source_id, source_kind=n.source_kind, count=n.count, share=n.share
                )
                for n in k.top_sources
            ],
            acks=k.acks,
            mean_ack_ms=k.mean_ack_ms,
        )
