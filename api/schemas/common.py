"""Shapes shared by every resource: the paginated list, time rendering, and
:class:`OutModel`, the base of response models filled from a storage value."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, Field

from lifeline.core.timeutil import iso_ms

__all__ = ["OutModel", "Page", "PointOut", "iso_or_none"]

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: ``total`` counts every match, not only this page."""

    items: list[ItemT]
    total: int = Field(ge=0)


def iso_or_none(ms: int | None) -> str | None:
    return None if ms is None else iso_ms(ms)


class OutModel(BaseModel):
    """A response model that fills itself from a storage value (:meth:`fill`)."""

    @classmethod
    def fill(cls, source: object, /, **given: Any) -> Self:
        """Each field from ``given``, else from ``source``'s attribute of the same name;
        a time field ``x`` that neither has is ``x_ms`` (given, else of ``source``) as
        RFC 3339 (None stays None): the API's "RFC 3339 plus raw epoch ms" convention.
        An optional field found nowhere keeps its default."""
        fields = cls.model_fields
        unknown = given.keys() - fields.keys()
        if unknown:
            raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
        values: dict[str, Any] = {}
        for name, field in fields.items():
            if name in given:
                values[name] = given[name]
            elif hasattr(source, name):
                values[name] = getattr(source, name)
            elif f"{name}_ms" in given:
                values[name] = iso_or_none(given[f"{name}_ms"])
            elif hasattr(source, f"{name}_ms"):
                values[name] = iso_or_none(getattr(source, f"{name}_ms"))
            elif field.is_required():
                raise TypeError(f"{cls.__name__}.{name}: not given and not on {source!r}")
        return cls(**values)


class PointOut(OutModel):
    ts: str
    ts_ms: int
    value: float
