"""A telemetry store wrapped to change only how records are written: the reads of the
port go to the wrapped store unchanged (the durability spool, test doubles)."""

from __future__ import annotations

from collections.abc import Sequence

from lifeline.core.ports import TelemetryStore
from lifeline.core.records import Bucket, DeviceEvent, Point

__all__ = ["ForwardingReads"]


class ForwardingReads:
    """The read methods of :class:`lifeline.core.ports.TelemetryStore`, forwarded to
    ``inner``; a subclass adds ``write`` and ``close``."""

    def __init__(self, inner: TelemetryStore) -> None:
        self._inner = inner

    async def history(
        self, source_id: str, metric: str, start_ms: int, end_ms: int, step_ms: int
    ) -> list[Bucket]:
        return await self._inner.history(source_id, metric, start_ms, end_ms, step_ms)

    async def latest(self, source_ids: Sequence[str], metric: str) -> dict[str, Point]:
        return await self._inner.latest(source_ids, metric)

    async def metrics(self, source_id: str) -> list[str]:
        return await self._inner.metrics(source_id)

    async def events(
        self, source_id: str, start_ms: int, end_ms: int, limit: int = 1000
    ) -> list[DeviceEvent]:
        return await self._inner.events(source_id, start_ms, end_ms, limit)

    async def last_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        return await self._inner.last_seen(source_ids)

    async def coverage(
        self, source_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> dict[str, int]:
        return await self._inner.coverage(source_ids, start_ms, end_ms)

    async def first_seen(self, source_ids: Sequence[str]) -> dict[str, int]:
        return await self._inner.first_seen(source_ids)

    async def count(self, source_id: str | None = None) -> int:
        return await self._inner.count(source_id)
