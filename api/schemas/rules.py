"""Rules as the pages need them: threshold set-points to draw on history charts, and
each rule's metric(s) and detector, so an alert's value is shown with its metric's name,
unit and decimals."""

from __future__ import annotations

from pydantic import BaseModel, Field

from alerts.machines import rule_type_of
from alerts.machines.threshold import ThresholdRule
from alerts.rules import Rule

__all__ = ["LevelOut", "RuleOut"]


class LevelOut(BaseModel):
    value: float
    severity: str


class RuleOut(BaseModel):
    name: str
    type: str = Field(description="threshold | event | stuck | deadman")
    kind: str
    category: str
    description: str
    metric: str | None = Field(default=None, description="the metric its value is of, if one")
    metrics: list[str] = Field(default_factory=list, description="multivariate rules' inputs")
    detector: str | None = Field(default=None, description="anomaly rules' detector")
    direction: str | None = Field(default=None, description="above | below (threshold only)")
    levels: list[LevelOut] = Field(default_factory=list)
    levels_from_registry: bool = Field(
        default=False, description="gas channels: levels come from each channel's low/high_pct"
    )

    @classmethod
    def of(cls, rule: Rule) -> RuleOut:
        """Any rule type (new ones included): its tag, kind, category, description."""
        base = cls(
            name=rule.name,
            type=rule_type_of(rule).tag,
            kind=str(rule.kind),
            category=str(rule.category),
            description=rule.description,
            metric=getattr(rule, "metric", None),
            metrics=list(getattr(rule, "metrics", None) or []),
            detector=getattr(rule, "detector", None),
        )
        if isinstance(rule, ThresholdRule):
            return base.model_copy(
                update={
                    "metric": rule.metric,
                    "direction": rule.direction.value,
                    "levels": [
                        LevelOut(value=v.value, severity=v.severity.value) for v in rule.levels
                    ],
                    "levels_from_registry": rule.levels_from_registry,
                }
            )
        return base
