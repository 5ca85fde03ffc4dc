"""Lists as every list route serves them: scoped to the caller, filtered, sorted, paged.

A route declares ``listing: ListingDep`` (the caller and the ``limit``/``offset`` it
asked for) and does one of two things:

- registry lists (channels, enterprises, stations, meters):
  :meth:`Listing.select` keeps the entries the caller may see (a utility only the
  sources it owns, :func:`api.auth.scope.utility_of`) that match the equality filters,
  sorted by id; :meth:`Listing.page_of` (or :meth:`Listing.shown`, when the page's rows
  need a store call of their own) cuts the page.
- store lists (alerts, rejects): :meth:`Listing.scoped` gives the utility and crew
  filters of the store query as the caller may run it: its own when it is confined
  (whatever it asked for), None when it asked for someone else's (an empty page, not a
  403: a filter that matches nothing); the store pages with ``limit`` and ``offset``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends

from api.auth.guard import PrincipalDep
from api.auth.principal import Principal
from api.auth.scope import crew_of, owns, utility_of
from api.deps import PageDep, PageParams
from api.schemas.common import Page

__all__ = ["Listing", "ListingDep", "StoreScope"]


class _Entry(Protocol):
    @property
    def id(self) -> str: ...


EntryT = TypeVar("EntryT", bound=_Entry)
RowT = TypeVar("RowT")
OutT = TypeVar("OutT")


@dataclass(frozen=True, slots=True)
class StoreScope:
    """The utility and crew filters of a store query (None: any)."""

    utility: str | None
    crew: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    principal: Principal
    page: PageParams

    @property
    def limit(self) -> int:
        return self.page.limit

    @property
    def offset(self) -> int:
        return self.page.offset

    def select(
        self,
        entries: Iterable[EntryT],
        owner_of: Callable[[EntryT], str | None],
        /,
        **equal: str | None,
    ) -> list[EntryT]:
        """The ``entries`` the caller may see whose attributes equal every given filter
        (a None filter matches anything), sorted by id."""
        wanted = [(name, value) for name, value in equal.items() if value is not None]
        return sorted(
            (
                entry
                for entry in entries
                if all(getattr(entry, name) == value for name, value in wanted)
                and owns(self.principal, owner_of(entry))
            ),
            key=lambda entry: entry.id,
        )

    def shown(self, rows: list[RowT]) -> list[RowT]:
        """The rows of the page asked for."""
        return self.page.slice(rows)

    def page_of(self, rows: list[RowT], render: Callable[[RowT], OutT]) -> Page[OutT]:
        """The page asked for, each shown row rendered; ``total`` counts every row."""
        return Page(items=[render(row) for row in self.shown(rows)], total=len(rows))

    def scoped(self, utility: str | None, crew: str | None = None) -> StoreScope | None:
        """The ``utility`` and ``crew`` filters as the caller may ask: its own when it is
        confined to one, None when it asked for another's."""
        narrowed: list[str | None] = []
        for requested, confined in (
            (utility, utility_of(self.principal)),
            (crew, crew_of(self.principal)),
        ):
            if confined is not None and requested not in (None, confined):
                return None
            narrowed.append(requested if confined is None else confined)
        return StoreScope(*narrowed)


def _listing(principal: PrincipalDep, page: PageDep) -> Listing:
    return Listing(principal, page)


ListingDep = Annotated[Listing, Depends(_listing)]
