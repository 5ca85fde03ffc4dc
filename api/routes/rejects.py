"""``/api/v1/rejects``: dead letters (rejected messages and records) for inspection.
A utility sees only its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DeadLettersDep
from api.listing import ListingDep
from api.routes import API_PREFIX
from api.schemas.common import Page
from api.schemas.rejects import RejectOut, RejectSummary
from lifeline.core.ports import DeadLetterQuery

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/rejects", tags=["rejects"])


@router.get("", summary="Dead letters, newest first")
async def list_rejects(
    deadletters: DeadLettersDep,
    listing: ListingDep,
    reason: Annotated[str | None, Query(description="reject reason code")] = None,
    utility: Annotated[str | None, Query(description="publishing utility id")] = None,
) -> Page[RejectOut]:
    scope = listing.scoped(utility)
    if scope is None:
        return Page(items=[], total=0)
    query = DeadLetterQuery(
        reason=reason, utility_id=scope.utility, limit=listing.limit, offset=listing.offset
    )
    found, total = await deadletters.query(query)
    return Page(items=[RejectOut.of(d) for d in found], total=total)


@router.get("/summary", summary="Dead letters counted by reason")
async def summary(deadletters: DeadLettersDep) -> RejectSummary:
    counts = await deadletters.counts_by_reason()
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return RejectSummary(total=sum(counts.values()), by_reason=ordered)
