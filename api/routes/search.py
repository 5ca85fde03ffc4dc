"""``/api/v1/search``: find a channel, station, enterprise or meter by id, name or
address (every word of the query, in any order, case-insensitive), and
``/api/v1/utilities``: the names of the utilities that own the sources.

A utility account finds and lists only its own. Hits are ranked: the exact id, then ids
starting with the query, then names starting with it, then the rest; within a rank
channels, stations, enterprises, meters, each by id. A linear scan of the registry
(~12,000 entries with 10,000 meters: a few ms), no index to keep in step with edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.scope import owns
from api.deps import RegistryDep
from api.listing import ListingDep
from api.routes import API_PREFIX
from api.schemas.common import Page
from api.schemas.search import SearchHit, UtilityOut
from lifeline.core.ids import SourceKind
from lifeline.core.registry import Registry, Utility

__all__ = ["rank", "router", "search_registry"]

router = APIRouter(prefix=API_PREFIX, tags=["search"])


def _hits(registry: Registry) -> Iterator[SearchHit]:
    def owner_name(owner: str) -> str | None:
        utility = registry.utilities.get(owner)
        return None if utility is None else utility.name

    for c in registry.channels.values():
        yield SearchHit(
            kind=SourceKind.GAS_CHANNEL, id=c.id, name=c.name, address=c.address,
            district=c.district, owner=c.owner, owner_name=owner_name(c.owner),
            enterprise_id=None, lat=c.lat, lon=c.lon,
        )  # fmt: skip
    for s in registry.stations.values():
        owner = registry.enterprises[s.enterprise_id].owner
        yield SearchHit(
            kind=SourceKind.STATION, id=s.id, name=s.name, address=None, district=s.district,
            owner=owner, owner_name=owner_name(owner), enterprise_id=s.enterprise_id,
            lat=s.lat, lon=s.lon,
        )  # fmt: skip
    for e in registry.enterprises.values():
        yield SearchHit(
            kind=SourceKind.ENTERPRISE, id=e.id, name=e.name, address=None, district=e.district,
            owner=e.owner, owner_name=owner_name(e.owner), enterprise_id=None,
            lat=e.lat, lon=e.lon,
        )  # fmt: skip
    for m in registry.meters.values():
        yield SearchHit(
            kind=SourceKind.METER, id=m.id, name=m.address, address=m.address,
            district=m.district, owner=m.owner, owner_name=owner_name(m.owner),
            enterprise_id=None, lat=m.lat, lon=m.lon,
        )  # fmt: skip


_KIND_ORDER = {
    SourceKind.GAS_CHANNEL: 0,
    SourceKind.STATION: 1,
    SourceKind.ENTERPRISE: 2,
    SourceKind.METER: 3,
}


def rank(hit: SearchHit, query: str) -> int | None:
    """0 exact id, 1 id prefix, 2 name prefix, 3 every word somewhere; None: no match."""
    q = query.casefold()
    ident = hit.id.casefold()
    if ident == q:
        return 0
    if ident.startswith(q):
        return 1
    if hit.name.casefold().startswith(q):
        return 2
    text = " ".join(
        x for x in (hit.id, hit.name, hit.address, hit.district, hit.owner_name) if x
    ).casefold()
    return 3 if all(word in text for word in q.split()) else None


def search_registry(
    registry: Registry, query: str, kind: SourceKind | None = None
) -> list[tuple[int, SearchHit]]:
    """Every matching entry with its rank, best first."""
    found = [
        (r, hit)
        for hit in _hits(registry)
        if (kind is None or hit.kind is kind) and (r := rank(hit, query)) is not None
    ]
    found.sort(key=lambda pair: (pair[0], _KIND_ORDER[pair[1].kind], pair[1].id))
    return found


@router.get("/search", summary="Find channels, stations, enterprises and meters")
async def search(
    registry: RegistryDep,
    listing: ListingDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="id, name or address words")],
    kind: Annotated[SourceKind | None, Query(description="only this kind")] = None,
) -> Page[SearchHit]:
    query = " ".join(q.split())
    if not query:
        return Page(items=[], total=0)
    hits = [
        hit
        for _, hit in search_registry(registry, query, kind)
        if owns(listing.principal, hit.owner)
    ]
    return Page(items=listing.shown(hits), total=len(hits))


def _utility_owner(utility: Utility) -> str:
    return utility.id


@router.get("/utilities", summary="Utilities (gas companies, heating enterprises) by id")
async def list_utilities(registry: RegistryDep, listing: ListingDep) -> Page[UtilityOut]:
    rows = listing.select(registry.utilities.values(), _utility_owner)
    return listing.page_of(rows, lambda u: UtilityOut(id=u.id, name=u.name, kind=u.kind))
