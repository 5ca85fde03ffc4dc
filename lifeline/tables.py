"""Spreadsheets in and out: CSV and XLSX as lists of rows of text.

- Reading: :func:`read_table` takes the bytes of a CSV (UTF-8 with or without a BOM, or
  GB18030 as Chinese Excel writes it) or an XLSX workbook (its first sheet, read with
  ``openpyxl``: the format's details are a maintained library's job, not ours) and gives
  the header and the rows as text, each with its row number in the sheet (header = 1).
- Writing: :func:`csv_bytes` (UTF-8 with a BOM, so Excel shows Chinese right) and
  :func:`xlsx_bytes` (one sheet per :class:`Sheet`, numbers as numbers, a bold frozen
  header). Cells are strings, numbers or None.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

__all__ = [
    "MAX_ROWS",
    "Cell",
    "Sheet",
    "Table",
    "TableError",
    "csv_bytes",
    "detect_format",
    "read_table",
    "xlsx_bytes",
]

Cell = str | int | float | None
Format = Literal["csv", "xlsx"]
MAX_ROWS: Final = 200_000
_XLSX_MAGIC: Final = b"PK\x03\x04"
_FORMULA_START: Final = ("=", "+", "-", "@")


class TableError(ValueError):
    """The file is not a readable table (the message says why)."""


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the sheet, cells as text)


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    header: list[str]
    rows: Sequence[Sequence[Cell]] = field(default_factory=list)


def detect_format(data: bytes) -> Format:
    return "xlsx" if data.startswith(_XLSX_MAGIC) else "csv"


def read_table(data: bytes, fmt: Format | None = None) -> Table:
    """The header and non-empty rows of a CSV or XLSX file; TableError if unreadable."""
    fmt = fmt or detect_format(data)
    lines = _xlsx_lines(data) if fmt == "xlsx" else _csv_lines(data)
    numbered = [(n, cells) for n, cells in enumerate(lines, start=1) if any(c for c in cells)]
    if not numbered:
        raise TableError("the file has no header row")
    (_, header), body = numbered[0], numbered[1:]
    if len(body) > MAX_ROWS:
        raise TableError(f"more than {MAX_ROWS} rows")
    return Table([h.strip() for h in header], body)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("the CSV is neither UTF-8 nor GB18030 text")


def _csv_lines(data: bytes) -> list[list[str]]:
    text = _decode(data)
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise TableError(f"not a CSV file ({exc})") from exc


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).strip()


def _xlsx_lines(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        sheet = book.worksheets[0]
        lines = []
        for row in sheet.iter_rows(values_only=True):
            lines.append([_text(v) for v in row])
            if len(lines) > MAX_ROWS + 1:
                raise TableError(f"more than {MAX_ROWS} rows")
        return lines
    finally:
        book.close()


def _safe(cell: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula, quoted (CSV injection)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def csv_bytes(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.header)
    writer.writerows([["" if c is None else _safe(c) for c in row] for row in sheet.rows])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook(write_only=False)
    book.remove(book.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        sheet.append(spec.header)
        for cell in sheet[1]:
            cell.font = bold
        for row in spec.rows:
            sheet.append([_safe(c) for c in row])
        sheet.freeze_panes = "A2"
        for index, name in enumerate(spec.header, start=1):
            width = max([len(str(name)), *(len(str(r[index - 1] or "")) for r in spec.rows[:200])])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(40, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
