"""What a written batch says about presence, the same for every telemetry adapter: per
source (and the enterprise of a station record) its newest ts in the batch, and the
PRESENCE_SLOT_MS slots it sent in for the sources whose on-line rate is reported.

On-line rates are the regulator's figures for gas channels and heating enterprises
(a station's records count for its enterprise), so presence slots are kept for those
alone: a meter's or a station's slot would be written and never read (it was one
extra point per record). Every source keeps its newest time (``seen``).

:class:`WrittenMarks` remembers, per process, what a store already wrote, so it writes
a source's current presence slot once (an older slot, from late or replayed records, is
written again: the same point, overwritten) and a ``seen`` point at most every ``seen_every_ms`` per
source (bounded: the least recently used sources are forgotten, and then written again).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from lifeline.core.records import PRESENCE_SLOT_MS, Record
from lifeline.core.topics import RecordKind

__all__ = ["BatchPresence", "WrittenMarks"]

_ON_LINE_KINDS: Final = frozenset({RecordKind.GAS_READING, RecordKind.GAS_EVENT})


class BatchPresence:
    """Fill with :meth:`add` for each record of a batch, then read ``newest`` and ``slots``."""

    __slots__ = ("newest", "slots")

    def __init__(self) -> None:
        self.newest: dict[str, int] = {}  # source or enterprise -> newest ts_ms
        self.slots: set[tuple[str, int]] = set()  # (channel or enterprise, slot start ms)

    def add(self, record: Record) -> None:
        ts = record.ts_ms
        newest = self.newest
        source, enterprise = record.source_id, record.enterprise_id
        if newest.get(source, -1) < ts:
            newest[source] = ts
        if record.kind in _ON_LINE_KINDS:
            self.slots.add((source, ts - ts % PRESENCE_SLOT_MS))
        if enterprise is not None:
            if newest.get(enterprise, -1) < ts:
                newest[enterprise] = ts
            self.slots.add((enterprise, ts - ts % PRESENCE_SLOT_MS))


class WrittenMarks:
    """What this process has written (see module doc); update only after a write
    succeeded, so a failed write's retry writes everything again."""

    def __init__(self, capacity: int = 100_000, seen_every_ms: int = 60_000) -> None:
        self._capacity = capacity
        self._seen_every_ms = seen_every_ms
        self._marks: OrderedDict[str, tuple[int, int]] = OrderedDict()  # -> (seen, slot)

    def unwritten(self, presence: BatchPresence) -> tuple[dict[str, int], set[tuple[str, int]]]:
        """The ``seen`` points and presence slots of a batch still to write."""
        marks = self._marks
        newest = {
            who: ts
            for who, ts in presence.newest.items()
            if (mark := marks.get(who)) is None or ts >= mark[0] + self._seen_every_ms
        }
        slots = {
            (who, slot)
            for who, slot in presence.slots
            if (mark := marks.get(who)) is None or slot != mark[1]
        }  # only the newest slot written is remembered: a late record's older slot is
        # written again (an idempotent overwrite), never dropped
        return newest, slots

    def written(self, newest: dict[str, int], slots: set[tuple[str, int]]) -> None:
        marks = self._marks
        for who, ts in newest.items():
            seen, slot = marks.get(who, (-1, -1))
            marks[who] = (max(seen, ts), slot)
            marks.move_to_end(who)
        for who, slot in slots:
            seen, last = marks.get(who, (-1, -1))
            marks[who] = (seen, max(last, slot))
            marks.move_to_end(who)
        while len(marks) > self._capacity:
            marks.popitem(last=False)
