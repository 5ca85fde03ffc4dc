"""Hold and clear, counted in records: per-row alert flags from per-row scores.

An alert is RAISED after ``confirm_records`` consecutive records scored >= ``threshold``
and HELD until ``clear_records`` consecutive records score below ``clear_threshold``
(the rule machine's deadband, without times: a 20-minute run at 1 Hz and a week at
5 minutes use the same numbers). The flag is 1 on every row while the alert holds, so a
fault that lasts is flagged for as long as it lasts.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import numpy as np
import numpy.typing as npt
from msgspec import Meta

from alerts.detectors.ewma import Array

__all__ = ["HoldConfig", "hold"]


class HoldConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    threshold: Annotated[float, Meta(gt=0, le=1)] = 0.5
    confirm_records: Annotated[int, Meta(ge=1)] = 3
    clear_threshold: Annotated[float, Meta(ge=0, le=1)] = 0.35
    clear_records: Annotated[int, Meta(ge=1)] = 30


def hold(scores: Array, cfg: HoldConfig) -> npt.NDArray[np.bool_]:
    """The alert flag of every row (True while raised)."""
    out = np.zeros(len(scores), dtype=bool)
    raised = False
    above = below = 0
    for i, score in enumerate(scores.tolist()):
        if not raised:
            above = above + 1 if score >= cfg.threshold else 0
            if above >= cfg.confirm_records:
                raised, below = True, 0
        else:
            below = below + 1 if score < cfg.clear_threshold else 0
            if below >= cfg.clear_records:
                raised, above = False, 0
        out[i] = raised
    return out
