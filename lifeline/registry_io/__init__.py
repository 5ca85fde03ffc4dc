"""The device registry as tables: import (checked row by row, planned, applied) and
export, in CSV or XLSX (``lifeline.tables``). Pure; the API route saves the result."""

from lifeline.registry_io.columns import KINDS
from lifeline.registry_io.exporter import export_sheet
from lifeline.registry_io.importer import (
    ImportPlan,
    Parsed,
    RowError,
    imported_registry,
    parse_rows,
    plan_import,
)

__all__ = [
    "KINDS",
    "ImportPlan",
    "Parsed",
    "RowError",
    "export_sheet",
    "imported_registry",
    "parse_rows",
    "plan_import",
]
