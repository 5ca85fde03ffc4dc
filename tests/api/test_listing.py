"""api.listing.Listing: one place scopes, filters, sorts and pages every list route."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.principal import Principal
from api.auth.scope import NOBODY
from api.deps import PageParams
from api.listing import Listing, StoreScope
from lifeline.core.identity import CredentialKind, Role


@dataclass(frozen=True)
class _Entry:
    id: str
    owner: str
    district: str


ENTRIES = [_Entry("b", "u1", "x"), _Entry("a", "u2", "x"), _Entry("c", "u1", "y")]


def _listing(role: Role, *, utility: str | None = None, crew: str | None = None) -> Listing:
    principal = Principal("p", role, 1, CredentialKind.SESSION, crew_id=crew, utility_id=utility)
    return Listing(principal, PageParams(limit=1, offset=1))


def _owner(entry: _Entry) -> str:
    return entry.owner


def test_select_keeps_a_utilitys_own_entries_matching_every_filter_sorted_by_id() -> None:
    operator = _listing(Role.OPERATOR)
    assert [e.id for e in operator.select(ENTRIES, _owner)] == ["a", "b", "c"]
    assert [e.id for e in operator.select(ENTRIES, _owner, district="x")] == ["a", "b"]
    assert [e.id for e in operator.select(ENTRIES, _owner, owner="u1", district=None)] == [
        "b",
        "c",
    ]
    utility = _listing(Role.UTILITY, utility="u1")
    assert [e.id for e in utility.select(ENTRIES, _owner)] == ["b", "c"]
    assert utility.select(ENTRIES, _owner, owner="u2") == []


def test_page_of_renders_the_page_asked_for_and_counts_every_row() -> None:
    page = _listing(Role.ADMIN).page_of(["a", "b", "c"], str.upper)
    assert (page.items, page.total) == (["B"], 3)


def test_scoped_store_filters_are_the_callers_own_or_nothing() -> None:
    assert _listing(Role.OPERATOR).scoped("u1", "crew-1") == StoreScope("u1", "crew-1")
    utility = _listing(Role.UTILITY, utility="u1")
    assert utility.scoped(None) == StoreScope("u1", None)
    assert utility.scoped("u1") == StoreScope("u1", None)
    assert utility.scoped("u2") is None
    crew = _listing(Role.CREW, crew="crew-1")
    assert crew.scoped(None, None) == StoreScope(None, "crew-1")
    assert crew.scoped("u9", "crew-2") is None
    assert _listing(Role.UTILITY).scoped(None) == StoreScope(NOBODY, None)
