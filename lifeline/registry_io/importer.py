"""Importing a registry table: rows checked one by one, then planned against the
registry, then applied. Pure: nothing here touches a store.

- :func:`parse_rows` checks every row (cells, then cross-references: a known gas
  utility, a known enterprise, an id used once in the file and by no other kind) and
  gives the good rows as entities and every bad row's faults with its row number.
- :func:`plan_import` sorts the entities into added, updated and unchanged. An added
  source is registered now (or at its ``registered_at`` cell); an updated one keeps
  its registration time unless the row gives one.
- :func:`imported_registry` is the registry with the plan applied (a new object: the
  caller has the live one :meth:`~lifeline.core.registry.Registry.adopt` it).

An enterprise row whose owner is not a known utility brings its own utility (a heating
enterprise publishes under its own account); gas channels and meters must name an
existing gas utility.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from lifeline.core.registry import Registry, Utility
from lifeline.registry_io.columns import KINDS, CellError, Kind
from lifeline.tables import Table, TableError

__all__ = ["ImportPlan", "Parsed", "RowError", "imported_registry", "parse_rows", "plan_import"]

_TABLES: Final = ("channels", "meters", "stations", "enterprises")


class RowError(msgspec.Struct, frozen=True):
    row: int  # the row number in the sheet (the header is row 1)
    column: str | None
    message: str  # English
    code: str = "other"  # the fault, for a message in the reader's language
    params: dict[str, str] = msgspec.field(default_factory=dict)


def _fault(row: int, column: str, error: CellError) -> RowError:
    return RowError(row, column, str(error), error.code, error.params)


@dataclass
class Parsed:
    entities: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass
class ImportPlan:
    kind: str
    added: list[Any] = field(default_factory=list)
    updated: list[tuple[Any, Any]] = field(default_factory=list)  # (before, after)
    unchanged: int = 0
    utilities: list[Utility] = field(default_factory=list)  # new heating accounts


def _header(table: Table, kind: Kind) -> tuple[dict[str, int], list[str]]:
    positions = {name.lower(): i for i, name in enumerate(table.header) if name}
    missing = [c for c in kind.required if c not in positions]
    if missing:
        raise TableError(f"missing columns: {', '.join(missing)} (a {kind.name} table has "
                         f"{', '.join(c.name for c in kind.columns)})")  # fmt: skip
    known = {c.name for c in kind.columns}
    return positions, [h for h in table.header if h and h.lower() not in known]


def _cells(kind: Kind, positions: dict[str, int], row: int, cells: list[str], out: Parsed) -> (
    dict[str, Any] | None
):  # fmt: skip
    values: dict[str, Any] = {}
    ok = True
    for column in kind.columns:
        at = positions.get(column.name)
        text = cells[at].strip() if at is not None and at < len(cells) else ""
        if not text and not column.required:
            values[column.name] = column.default
            continue
        try:
            values[column.name] = column.check(text)
        except CellError as exc:
            out.errors.append(_fault(row, column.name, exc))
            ok = False
    return values if ok else None


def _other_kind(registry: Registry, kind: str, source_id: str) -> str | None:
    for name in _TABLES:
        if name != kind and source_id in getattr(registry, name):
            return name
    return None


def _references(
    kind: str, values: dict[str, Any], registry: Registry, pending: set[str]
) -> tuple[str, CellError] | None:
    """(column, fault) of a row naming what does not exist, else None."""
    owner = values.get("owner")
    if kind in ("channels", "meters"):
        utility = registry.utilities.get(owner or "")
        if utility is None or utility.kind != "gas":
            return "owner", CellError(
                "not_gas_utility", f"{owner!r} is not a gas utility of the registry", value=owner
            )
    enterprise = values.get("enterprise_id")
    if kind == "stations" and enterprise not in registry.enterprises:
        return "enterprise_id", CellError(
            "unknown_enterprise",
            f"enterprise {enterprise!r} is not in the registry",
            value=enterprise,
        )
    if kind == "enterprises":
        utility = registry.utilities.get(owner or "")
        if utility is not None and utility.kind != "heating":
            return "owner", CellError(
                "not_heating", f"{owner!r} is not a heating account", value=owner
            )
        if utility is None and owner in pending:
            return "owner", CellError(
                "owner_taken", f"{owner!r} is the new account of another row", value=owner
            )
    if kind == "channels" and values["low_pct"] >= values["high_pct"]:
        return "low_pct", CellError("low_not_below_high", "low_pct must be below high_pct")
    return None


def parse_rows(table: Table, kind_name: str, registry: Registry) -> Parsed:
    """Every row of ``table`` checked as a ``kind_name`` entry; TableError for a table
    that is not one (missing columns)."""
    kind = KINDS[kind_name]
    positions, ignored = _header(table, kind)
    out = Parsed(rows=len(table.rows), ignored_columns=ignored)
    first_row: dict[str, int] = {}
    new_owners: set[str] = set()
    for row, cells in table.rows:
        values = _cells(kind, positions, row, cells, out)
        if values is None:
            continue
        source_id = values["id"]
        if source_id in first_row:
            again = first_row[source_id]
            message = f"{source_id} is also on row {again}"
            out.errors.append(_fault(row, "id", CellError("duplicate", message, row=again)))
            continue
        first_row[source_id] = row
        if (other := _other_kind(registry, kind_name, source_id)) is not None:
            message = f"{source_id} is already one of the {other}"
            out.errors.append(_fault(row, "id", CellError("other_kind", message, kind=other)))
            continue
        if (fault := _references(kind_name, values, registry, new_owners)) is not None:
            out.errors.append(_fault(row, *fault))
            continue
        if kind_name == "enterprises" and values["owner"] not in registry.utilities:
            new_owners.add(values["owner"])
        registered = values.pop("registered_at")
        out.entities.append(kind.entity(**values, registered_at_ms=registered))
    return out


def plan_import(registry: Registry, kind: str, entities: list[Any], now_ms: int) -> ImportPlan:
    table = getattr(registry, kind)
    plan = ImportPlan(kind)
    for entity in entities:
        before = table.get(entity.id)
        if before is None:
            if entity.registered_at_ms is None:
                entity = msgspec.structs.replace(entity, registered_at_ms=now_ms)
            plan.added.append(entity)
        else:
            if entity.registered_at_ms is None:
                entity = msgspec.structs.replace(entity, registered_at_ms=before.registered_at_ms)
            if entity == before:
                plan.unchanged += 1
            else:
                plan.updated.append((before, entity))
        if kind == "enterprises" and entity.owner not in registry.utilities:
            plan.utilities.append(Utility(entity.owner, entity.name, "heating"))
    return plan


def imported_registry(registry: Registry, plan: ImportPlan) -> Registry:
    """A new registry: ``registry`` with the plan's entities added or replaced."""
    tables: dict[str, dict[str, Any]] = {name: dict(getattr(registry, name)) for name in _TABLES}
    for entity in [*plan.added, *(after for _, after in plan.updated)]:
        tables[plan.kind][entity.id] = entity
    utilities = {**registry.utilities, **{u.id: u for u in plan.utilities}}
    return Registry(
        utilities.values(),
        tables["channels"].values(),
        tables["enterprises"].values(),
        tables["stations"].values(),
        tables["meters"].values(),
    )
