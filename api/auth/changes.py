"""The ``detail`` of an audit entry for a change: what it was before and after, as JSON
(``{"before": ..., "after": ...}``, keys sorted, Chinese kept readable), cut at
``MAX_DETAIL`` characters so one bulk import cannot bloat the log."""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = ["MAX_DETAIL", "before_after"]

MAX_DETAIL: Final = 64 * 1024


def before_after(before: Any, after: Any, **extra: Any) -> str:
    """``before`` and ``after`` (None: did not exist / does not any more) and any
    ``extra`` facts (counts, a note) as one JSON text."""
    text = json.dumps(
        {"before": before, "after": after, **extra},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    if len(text) <= MAX_DETAIL:
        return text
    return text[: MAX_DETAIL - 14] + "…(truncated)"
