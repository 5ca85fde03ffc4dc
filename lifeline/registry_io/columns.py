"""The columns of a registry table per kind of source, and how each cell is checked.

One table per kind (``channels``, ``enterprises``, ``stations``, ``meters``); its
columns are the entity's fields (``lifeline.core.registry``), so an export imports back
unchanged. A checker turns the cell's text into the field's value or raises
``ValueError`` with what is wrong, in words an administrator can act on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from lifeline.core.ids import is_valid_id
from lifeline.core.registry import Channel, Enterprise, Meter, Station
from lifeline.seed import DISTRICTS, SITE_TYPES

__all__ = ["KINDS", "LAT_RANGE", "LON_RANGE", "METER_MODELS", "CellError", "Column", "Kind"]

# Qingdao's territory with a margin: a point outside is a typo (often lat/lon swapped).
LAT_RANGE: Final = (35.0, 37.5)
LON_RANGE: Final = (119.0, 121.5)
METER_MODELS: Final = ("G1.6", "G2.5", "G4")

Check = Callable[[str], Any]


class CellError(ValueError):
    """What is wrong with a cell: an English message, and a ``code`` with ``params`` the
    pages show in the reader's language."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}


def _id(text: str) -> str:
    if not is_valid_id(text):
        raise ValueError(
            "an id is 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return text


def _text(limit: int) -> Check:
    def check(text: str) -> str:
        if not text:
            raise CellError("empty", "must not be empty")
        if len(text) > limit:
            raise CellError("too_long", f"longer than {limit} characters", limit=limit)
        return text

    return check


def _one_of(options: tuple[str, ...]) -> Check:
    def check(text: str) -> str:
        if text not in options:
            raise CellError(
                "not_one_of",
                f"{text!r} is not one of {', '.join(options)}",
                value=text,
                options=", ".join(options),
            )
        return text

    return check


def _number(low: float, high: float, *, open_low: bool = False) -> Check:
    def check(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise CellError("not_number", f"{text!r} is not a number", value=text) from None
        if not (low < value if open_low else low <= value) or value > high:
            raise CellError(
                "out_of_range",
                f"{value:g} is outside {low:g}..{high:g}",
                value=f"{value:g}",
                low=f"{low:g}",
                high=f"{high:g}",
            )
        return value

    return check


def _instant(text: str) -> int | None:
    """Registration time: RFC 3339 with an offset, a date (local midnight), or epoch ms."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CellError(
            "bad_time", f"{text!r} is not a time (e.g. 2026-01-15T08:00:00+08:00)", value=text
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return int(parsed.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    check: Check
    required: bool = True
    default: Any = None


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # also the Registry attribute holding the table
    entity: type[Any]
    columns: tuple[Column, ...]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


_DISTRICT = Column("district", _one_of(tuple(DISTRICTS)))
_LAT = Column("lat", _number(*LAT_RANGE))
_LON = Column("lon", _number(*LON_RANGE))
_REGISTERED = Column("registered_at", _instant, required=False)

KINDS: Final[dict[str, Kind]] = {
    "channels": Kind(
        "channels",
        Channel,
        (
            Column("id", _id),
            Column("name", _text(200)),
            _DISTRICT,
            Column("site_type", _one_of(tuple(SITE_TYPES))),
            Column("address", _text(500)),
            _LAT,
            _LON,
            Column("owner", _id),
            Column("low_pct", _number(0, 100, open_low=True), required=False, default=20.0),
            Column("high_pct", _number(0, 100, open_low=True), required=False, default=50.0),
            _REGISTERED,
        ),
    ),
    "enterprises": Kind(
        "enterprises",
        Enterprise,
        (
            Column("id", _id),
            Column("name", _text(200)),
            _DISTRICT,
            Column("owner", _id),
            _LAT,
            _LON,
            _REGISTERED,
        ),
    ),
    "stations": Kind(
        "stations",
        Station,
        (
            Column("id", _id),
            Column("enterprise_id", _id),
            Column("name", _text(200)),
            _DISTRICT,
            _LAT,
            _LON,
            Column("area_m2", _number(0, 1e8, open_low=True)),
            _REGISTERED,
        ),
    ),
    "meters": Kind(
        "meters",
        Meter,
        (
            Column("id", _id),
            Column("owner", _id),
            _DISTRICT,
            Column("address", _text(500)),
            _LAT,
            _LON,
            Column("model", _one_of(METER_MODELS)),
            _REGISTERED,
        ),
    ),
}
