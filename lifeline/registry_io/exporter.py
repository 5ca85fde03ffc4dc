"""A registry table as a sheet (the columns of ``registry_io.columns``), ids in order;
registration times as RFC 3339 in China Standard Time (empty: seeded demo data)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from lifeline.core.registry import Registry
from lifeline.registry_io.columns import KINDS
from lifeline.tables import Cell, Sheet

__all__ = ["export_sheet"]

_CST: Final = dt.timezone(dt.timedelta(hours=8))


def _registered(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, _CST).isoformat(timespec="seconds")


def export_sheet(registry: Registry, kind_name: str) -> Sheet:
    kind = KINDS[kind_name]
    header = [c.name for c in kind.columns]
    rows: list[list[Cell]] = []
    for entity_id in sorted(getattr(registry, kind_name)):
        entity = getattr(registry, kind_name)[entity_id]
        rows.append(
            [
                _registered(entity.registered_at_ms)
                if name == "registered_at"
                else getattr(entity, name)
                for name in header
            ]
        )
    return Sheet(kind_name, header, rows)
