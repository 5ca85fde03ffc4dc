"""What a written batch says about presence, the same for every telemetry adapter: per
source (and the enterprise of a station record) its newest ts in the batch and the
PRESENCE_SLOT_MS slots it sent in."""

from __future__ import annotations

from lifeline.core.records import PRESENCE_SLOT_MS, Record

__all__ = ["BatchPresence"]


class BatchPresence:
    """Fill with :meth:`add` for each record of a batch, then read ``newest`` and ``slots``."""

    __slots__ = ("newest", "slots")

    def __init__(self) -> None:
        self.newest: dict[str, int] = {}  # source or enterprise -> newest ts_ms
        self.slots: set[tuple[str, int]] = set()  # (source or enterprise, slot start ms)

    def add(self, record: Record) -> None:
        ts = record.ts_ms
        slot = ts - ts % PRESENCE_SLOT_MS
        newest = self.newest
        for who in (record.source_id, record.enterprise_id):
            if who is not None:
                if newest.get(who, -1) < ts:
                    newest[who] = ts
                self.slots.add((who, slot))
