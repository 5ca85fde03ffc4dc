"""Registry tables for import tests: new gas channels as CSV rows, some of them bad."""

from __future__ import annotations

import csv
import io
from typing import Final

from lifeline.core.registry import Registry

__all__ = ["BAD_ROWS", "HEADER", "channel_rows", "copy_registry", "csv_of"]

HEADER: Final = [
    "id", "name", "district", "site_type", "address", "lat", "lon", "owner", "low_pct",
    "high_pct",
]  # fmt: skip

# (row index among the data rows, the column made bad, its bad value)
BAD_ROWS: Final = (
    (41, "lat", "3.61"),  # latitude typed without its decimal point: outside Qingdao
    (250, "site_type", "garage"),  # not a site type
    (498, "owner", "gas-nobody"),  # not a gas utility of the registry
)


def channel_rows(count: int, first: int = 2001, bad: bool = True) -> list[list[str]]:
    """``count`` new channels GAS-<first>..; with ``bad``, the rows of BAD_ROWS broken."""
    rows = []
    for i in range(count):
        n = first + i
        rows.append(
            [
                f"GAS-{n:04d}", f"新增通道{n}", "市北", "kitchen", f"市北区辽宁路{n}号", "36.09",
                "120.37", "gas-qdenergy", "15", "40",
            ]
        )  # fmt: skip
    if bad:
        for index, column, value in BAD_ROWS:
            if index < count:
                rows[index][HEADER.index(column)] = value
    return rows


def csv_of(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def copy_registry(registry: Registry) -> Registry:
    """A registry of its own for a test that edits it (the session's one is shared)."""
    return Registry(
        registry.utilities.values(),
        registry.channels.values(),
        registry.enterprises.values(),
        registry.stations.values(),
        registry.meters.values(),
    )
