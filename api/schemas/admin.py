"""Administration: set-points by class, rule parameters and their dry runs, crews."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AlertChangeOut",
    "CrewOut",
    "RuleParametersOut",
    "RuleParamsIn",
    "RulesDryRunOut",
    "SetpointChange",
    "SetpointChangeOut",
    "SetpointClassOut",
    "SetpointRowOut",
]


class AlertChangeOut(BaseModel):
    """An open alert a change would affect: clear, severity (to ``new_severity``),
    orphaned (its rule removed), reevaluated (from the next record)."""

    alert_id: int
    source_id: str
    rule: str
    state: str
    severity: str
    outcome: str
    new_severity: str | None
    value: float | None


class SetpointChange(BaseModel):
    """New ``low_pct``/``high_pct`` for every gas channel matching all given filters
    (e.g. ``site_type: kitchen``: every kitchen channel). ``dry_run`` (the default)
    changes nothing and shows what would change."""

    model_config = ConfigDict(extra="forbid")

    site_type: str | None = Field(default=None, max_length=50)
    district: str | None = Field(default=None, max_length=50)
    owner: str | None = Field(default=None, max_length=64)
    channel_ids: list[str] | None = Field(default=None, max_length=5000)
    low_pct: float | None = Field(default=None, gt=0, lt=100, description="first level, % LEL")
    high_pct: float | None = Field(default=None, gt=0, le=100, description="second level")
    dry_run: bool = True
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _something(self) -> SetpointChange:
        if self.low_pct is None and self.high_pct is None:
            raise ValueError("give low_pct, high_pct or both")
        if not (self.site_type or self.district or self.owner or self.channel_ids):
            raise ValueError("give a class: site_type, district, owner or channel_ids")
        return self


class SetpointRowOut(BaseModel):
    id: str
    name: str
    site_type: str
    before: tuple[float, float]
    after: tuple[float, float]


class SetpointChangeOut(BaseModel):
    applied: bool
    matched: int = Field(description="channels matching the class")
    changed: list[SetpointRowOut] = Field(description="those whose set-points change")
    alerts: list[AlertChangeOut] = Field(description="open leak alerts the change re-grades")


class SetpointClassOut(BaseModel):
    """The channels of one site type and the set-points they have (with counts)."""

    site_type: str
    channels: int
    levels: list[dict[str, float]] = Field(description="{low_pct, high_pct, count}")


class RuleParamsIn(BaseModel):
    """``{rule name: {field: new value}}``; a null value puts the field's default back."""

    model_config = ConfigDict(extra="forbid")

    changes: dict[str, dict[str, Any]] = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=500)


class RulesDryRunOut(BaseModel):
    changed_rules: list[str]
    alerts: list[AlertChangeOut]


class RuleParametersOut(BaseModel):
    running_version: int | None = Field(description="saved version running; None: the file")
    running_source: str
    saved_version: int | None = Field(description="newest saved version for the next start")
    saved_by: str | None
    saved_at_ms: int | None
    restart_required: bool = Field(
        description="a saved version waits for the rule engine's restart (it is never "
        "swapped under live alerts)"
    )
    rules: list[dict[str, Any]] = Field(description="each rule's fields as they will run")


class CrewOut(BaseModel):
    crew_id: str
    members: list[str] = Field(description="crew accounts (active ones)")
    receivers: list[str] = Field(
        description="notification receivers told of its dispatches (the notification file)"
    )
    open_incidents: int
