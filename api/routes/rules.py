"""``/api/v1/rules``: the loaded rules, with threshold levels for set-point lines on charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import RulesDep
from api.routes import API_PREFIX
from api.schemas.rules import RuleOut
from lifeline.core.ids import SourceKind

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/rules", tags=["rules"])


@router.get("", summary="Rules in file order; threshold rules carry metric, direction, levels")
async def list_rules(
    rules: RulesDep,
    kind: Annotated[SourceKind | None, Query(description="source kind")] = None,
    rule_type: Annotated[
        str | None, Query(alias="type", description="threshold | event | stuck | deadman")
    ] = None,
) -> list[RuleOut]:
    out = [RuleOut.of(r) for r in rules.rules if kind is None or r.kind is kind]
    return [r for r in out if rule_type is None or r.type == rule_type]
