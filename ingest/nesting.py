"""How deep a JSON payload nests, read from its bytes without parsing it.

msgspec and :mod:`json` both recurse once per level of arrays and objects and raise
``RecursionError`` somewhere below the interpreter's recursion limit (about 1,000 levels
minus the frames already on the stack, so the depth that fails even varies with the
caller). Neither has a depth option. :func:`measure_nesting` therefore runs before any
parser: it counts brackets outside strings (vectorised with numpy, about a millisecond
for 256 KiB) and cuts every value that opens too deep out of the payload, leaving in its
place a marker string that occurs nowhere in the original. The cut payload parses
safely, keeps every shallow part byte for byte, and shows by the markers which parts
(which records of a batch) were too deep.

On JSON that is malformed the count may be off after the first error, but a parser
stops there, so the cut payload still never nests deeper than the cut.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["Nesting", "measure_nesting"]

_STEP: Final = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_QUOTE: Final = ord('"')
_NOT_STRUCTURAL: Final = bytes(b for b in range(256) if b not in b'"[]{}')


@dataclass(frozen=True, slots=True)
class Nesting:
    """A payload measured by :func:`measure_nesting`.

    ``deep``: something nests deeper than the limit. ``payload``: the payload with every
    value that opens deeper than ``limit + margin`` replaced by ``marker`` (a JSON
    string); ``cuts`` such values were replaced (``payload`` is the original when 0).
    """

    payload: bytes
    deep: bool
    cuts: int = 0
    marker: bytes = b""

    def cuts_in(self, part: bytes) -> int:
        """How many cut values lie in ``part`` (a piece of :attr:`payload`)."""
        return part.count(self.marker) if self.cuts else 0


def measure_nesting(payload: bytes, limit: int, margin: int) -> Nesting:
    """Whether ``payload`` nests deeper than ``limit`` levels (the outermost array or
    object is level 1), and the payload with what opens beyond ``limit + margin`` cut."""
    if payload.count(b"[") + payload.count(b"{") <= limit:  # the usual case: no scan
        return Nesting(payload, deep=False)
    plain = _unescaped(payload)
    deepest = int(_levels(plain.translate(None, _NOT_STRUCTURAL))[1].max())
    if deepest <= limit + margin:
        return Nesting(payload, deep=deepest > limit)
    step, level = _levels(plain)
    cut_payload, cuts, marker = _cut(payload, step, level, limit + margin + 1)
    return Nesting(cut_payload, deep=True, cuts=cuts, marker=marker)


def _unescaped(payload: bytes) -> bytes:
    """The payload, same length, with escaped backslashes and quotes blanked, so that
    every '"' left delimits a string (backslashes first: in \\\\" the quote closes)."""
    if b"\\" not in payload:
        return payload
    return payload.replace(b"\\\\", b"..").replace(b'\\"', b"..")


def _levels(plain: bytes) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int32]]:
    """Per byte of an unescaped payload: +1 for a bracket that opens, -1 for one that
    closes (0 inside strings), and the nesting level after it. Bytes other than quotes
    and brackets change nothing, so the deepest level is the same without them."""
    codes = np.frombuffer(plain, dtype=np.uint8)
    step = np.take(_STEP, codes)  # a new array
    in_string = (np.cumsum(codes == _QUOTE, dtype=np.uint8) & 1).view(bool)  # parity
    step[in_string] = 0
    return step, np.cumsum(step, dtype=np.int32)


def _cut(
    payload: bytes, step: npt.NDArray[np.int8], level: npt.NDArray[np.int32], cut_level: int
) -> tuple[bytes, int, bytes]:
    """Replace every array or object opening at ``cut_level`` (with all it holds) by a
    marker string; the level only moves by one per bracket, so such an opening and the
    next closing back to ``cut_level - 1`` alternate and pair up in order."""
    opens = np.flatnonzero((step == 1) & (level == cut_level))
    closes = np.flatnonzero((step == -1) & (level == cut_level - 1))
    assert len(closes) <= len(opens)
    size = len(payload)
    delta = np.zeros(size + 1, dtype=np.int32)
    delta[opens] += 1
    delta[closes + 1] -= 1  # an opening never closed runs to the end
    keep = np.cumsum(delta[:size]) == 0
    marker = _marker_absent_from(payload)
    kept = np.frombuffer(payload, dtype=np.uint8)[keep]
    at = np.cumsum(keep, dtype=np.int64)[opens]  # kept bytes before each cut
    mark = np.frombuffer(marker, dtype=np.uint8)
    cut = np.insert(kept, np.repeat(at, len(mark)), np.tile(mark, len(opens)))
    return cut.tobytes(), len(opens), marker


def _marker_absent_from(payload: bytes) -> bytes:
    """A JSON string no client can have sent in this payload (nor guess for the next)."""
    while True:
        marker = b'"lifeline-cut-%s"' % secrets.token_hex(16).encode()
        if marker not in payload:
            return marker
