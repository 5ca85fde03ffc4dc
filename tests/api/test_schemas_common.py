"""api.schemas.common.OutModel.fill: response models filled from storage values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.schemas.common import OutModel


@dataclass
class _Stored:
    id: str
    seen_at_ms: int | None
    done_at_ms: int


class _Shown(OutModel):
    id: str
    seen_at: str | None
    seen_at_ms: int | None
    done_at: str
    extra: int
    optional: str | None = None


def test_fields_come_from_same_named_attributes_and_times_from_their_ms() -> None:
    shown = _Shown.fill(_Stored("a", None, 1_768_442_400_123), extra=3)
    assert shown.model_dump() == {
        "id": "a",
        "seen_at": None,
        "seen_at_ms": None,
        "done_at": "2026-01-15T02:00:00.123Z",
        "extra": 3,
        "optional": None,
    }


def test_given_values_win_and_given_ms_render_the_time() -> None:
    shown = _Shown.fill(_Stored("a", 1, 0), id="b", seen_at_ms=0, extra=1)
    assert (shown.id, shown.seen_at, shown.seen_at_ms) == ("b", "1970-01-01T00:00:00.000Z", 0)


def test_unknown_or_missing_fields_are_errors() -> None:
    with pytest.raises(TypeError, match="no fields"):
        _Shown.fill(_Stored("a", None, 0), extra=1, nope=2)
    with pytest.raises(TypeError, match="extra"):
        _Shown.fill(_Stored("a", None, 0))
