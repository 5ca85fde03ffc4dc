"""SpoolingTelemetryStore: a TelemetryStore that never blocks or loses a write while the
real store (InfluxDB) is down or slow.

``write`` returns once the records are durable in the inner store **or** in a bounded
on-disk spool (:class:`store.spool_log.SpoolLog`), so the ingester may acknowledge them:

- spool empty: ``inner.write`` with a timeout; if it times out or the store is
  unavailable (:data:`UNAVAILABLE`) the batch is appended to the spool (fsync'd) and
  ``write`` returns; a refusal (``StoreRequestError``, a bug) is raised to the caller;
- spool not empty: the batch is appended behind the older ones, never overtaking them;
- spool at ``max_bytes``: :class:`SpoolFullError`, nothing is written; the ingester does
  not acknowledge and the broker keeps the messages (back-pressure, nothing lost).

A replay task sends the spool oldest-first to the inner store, retrying every
``retry_interval_s`` while it is down, and consumes a chunk only after ``inner.write``
returned. A crash in between replays the chunk again, which overwrites the same series
and ts: harmless. A refused chunk is retried too, with an error log: its records were
acknowledged already, so it is never dropped. The task is started by ``run()``
(cancel to stop), or by the first ``write`` if ``run()`` is not running.

Reads go straight to the inner store: records spooled and not yet replayed are not
visible to them until the replay catches up.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, ParamSpec, TypeVar

import msgspec

from lifeline.core.codec import decode_records, encode_records
from lifeline.core.ports import Clock, TelemetryStore
from lifeline.core.records import Record
from lifeline.core.timeutil import SystemClock
from store.errors import SpoolFullError, StoreUnavailableError
from store.forwarding import ForwardingReads
from store.spool_log import Chunk, SpoolLog
from store.spool_metrics import SpoolMetrics

__all__ = ["HEALTH_MAX_FILL", "UNAVAILABLE", "SpoolingTelemetryStore"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

HEALTH_MAX_FILL: Final = 0.8
# Errors of ``inner.write`` that send a batch to the spool; any other one is a refusal
# (a bug, a bad request) and is raised to the caller, who does not acknowledge.
UNAVAILABLE: Final = (StoreUnavailableError, TimeoutError, OSError)
DEFAULT_SEGMENT_BYTES: Final = 64 << 20
DEFAULT_REPLAY_CHUNK_BYTES: Final = 1 << 20


class SpoolingTelemetryStore(ForwardingReads):
    """:class:`lifeline.core.ports.TelemetryStore` in front of ``inner``; see module docstring.

    ``directory`` holds this spool alone (one writer process per directory). Opening it
    checks and repairs the files synchronously (do it at start-up).
    """

    def __init__(
        self,
        inner: TelemetryStore,
        directory: Path,
        *,
        max_bytes: int,
        write_timeout_s: float = 5.0,
        retry_interval_s: float = 1.0,
        metrics: SpoolMetrics | None = None,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        replay_chunk_bytes: int = DEFAULT_REPLAY_CHUNK_BYTES,
        clock: Clock | None = None,
    ) -> None:
        if write_timeout_s <= 0 or retry_interval_s <= 0:
            raise ValueError("write_timeout_s and retry_interval_s must be positive")
        super().__init__(inner)
        self._write_timeout_s = write_timeout_s
        self._retry_interval_s = retry_interval_s
        self._replay_chunk_bytes = replay_chunk_bytes
        self._clock: Clock = clock or SystemClock()
        self._metrics = metrics or SpoolMetrics.on()
        self._log = SpoolLog.open(
            directory, max_bytes=max_bytes, segment_bytes=min(segment_bytes, max_bytes)
        )
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-io")
        self._wake = asyncio.Event()
        self._replayer: asyncio.Task[None] | None = None
        self._closed = False
        self._unavailable_since_ms: int | None = None
        self._last_error = ""
        self._watch_metrics()

    # -- writing ---------------------------------------------------------------------

    async def write(self, records: Sequence[Record]) -> None:
        """Durable in the inner store or in the spool when this returns; raises
        SpoolFullError (nothing written) when the spool is at its bound."""
        if self._closed:
            raise RuntimeError("spooling store is closed")
        if not records:
            return
        self._ensure_replayer()
        if self._log.frames == 0:
            try:
                await asyncio.wait_for(self._inner.write(records), self._write_timeout_s)
            except UNAVAILABLE as err:
                self._store_failed(err)
            else:
                self._store_ok()
                return
        await self._append(records)

    async def _append(self, records: Sequence[Record]) -> None:
        try:
            await self._run_io(self._append_io, records, self._clock.now_ms())
        except SpoolFullError:
            self._metrics.rejected.inc(len(records))
            log.warning(
                "spool_full",
                extra={"records": len(records), "bytes": self._log.bytes},
            )
            raise
        self._metrics.spooled.inc(len(records))
        self._wake.set()

    def _append_io(self, records: Sequence[Record], spooled_at_ms: int) -> None:
        self._log.append(encode_records(records), spooled_at_ms)

    # -- replaying -------------------------------------------------------------------

    async def run(self) -> None:
        """Replay the spool into the inner store until cancelled (or closed)."""
        self._ensure_replayer()
        replayer = self._replayer
        if replayer is None:
            return
        try:
            await replayer
        finally:
            replayer.cancel()

    def _ensure_replayer(self) -> None:
        if not self._closed and (self._replayer is None or self._replayer.done()):
            self._replayer = asyncio.get_running_loop().create_task(
                self._replay_forever(), name="spool-replay"
            )

    async def _replay_forever(self) -> None:
        while True:
            self._wake.clear()
            if self._log.frames == 0:
                await self._wake.wait()
                continue
            try:
                await self._replay_chunk()
            except Exception:  # a disk error: keep the spool, try again later
                log.exception("spool_replay_failed")
                await asyncio.sleep(self._retry_interval_s)

    async def _replay_chunk(self) -> None:
        chunk = await self._run_io(self._log.read, self._replay_chunk_bytes)
        records, bad = _decode(chunk)
        attempt = 0
        while records:
            attempt += 1
            started = time.perf_counter()
            try:
                await asyncio.wait_for(self._inner.write(records), self._write_timeout_s)
                break
            except Exception as err:  # refused ones too: the records are acked already
                self._store_failed(err, attempt=attempt)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(max(0.0, self._retry_interval_s - elapsed))
        await self._run_io(self._log.commit, chunk)
        self._metrics.dropped_frames.inc(chunk.dropped + bad)
        if records:
            self._store_ok()
            self._metrics.replayed.inc(len(records))
            log.debug(
                "spool_replayed",
                extra={"records": len(records), "left_batches": self._log.frames},
            )
        if self._log.frames == 0:
            log.info("spool_drained")

    # -- health ------------------------------------------------------------------------

    def health(self) -> tuple[bool, str]:
        """Not ok while the inner store is unavailable or the spool is over 80 % full."""
        fill = self._log.bytes / self._log.max_bytes
        detail = (
            f"spool {fill:.1%} full ({self._log.bytes} of {self._log.max_bytes} bytes, "
            f"{self._log.frames} batches, oldest {self._oldest_age_s():.0f} s)"
        )
        ok = fill <= HEALTH_MAX_FILL
        if self._unavailable_since_ms is not None:
            down_s = max(0, self._clock.now_ms() - self._unavailable_since_ms) / 1000
            detail = f"store unavailable for {down_s:.0f} s ({self._last_error}); {detail}"
            ok = False
        return ok, detail

    def _store_failed(self, err: Exception, attempt: int = 1) -> None:
        self._last_error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        self._metrics.store_available.set(0)
        if not isinstance(err, UNAVAILABLE) and (attempt == 1 or attempt % 60 == 0):
            log.error("spool_replay_refused", extra={"error": self._last_error, "try": attempt})
        if self._unavailable_since_ms is None:
            self._unavailable_since_ms = self._clock.now_ms()
            log.warning("store_unavailable", extra={"error": self._last_error})
        elif attempt % 60 == 0:
            log.warning("store_still_unavailable", extra={"error": self._last_error})

    def _store_ok(self) -> None:
        self._metrics.store_available.set(1)
        if self._unavailable_since_ms is not None:
            down_ms = self._clock.now_ms() - self._unavailable_since_ms
            self._unavailable_since_ms = None
            log.info("store_available", extra={"down_ms": down_ms, "spooled": self._log.frames})

    def _oldest_age_s(self) -> float:
        oldest = self._log.oldest_spooled_at_ms
        return 0.0 if oldest is None else max(0, self._clock.now_ms() - oldest) / 1000

    def _watch_metrics(self) -> None:
        spool = self._log
        self._metrics.max_bytes.set(spool.max_bytes)
        self._metrics.bytes.set_function(lambda: spool.bytes)
        self._metrics.batches.set_function(lambda: spool.frames)
        self._metrics.fill_ratio.set_function(lambda: spool.bytes / spool.max_bytes)
        self._metrics.oldest_age.set_function(self._oldest_age_s)
        self._metrics.store_available.set(1)

    # -- lifecycle (reads go to the inner store: ForwardingReads) ------------------------

    async def close(self) -> None:
        """Stop replaying (the spool stays on disk for the next start), close the inner
        store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        replayer = self._replayer
        if replayer is not None and not replayer.done():
            replayer.cancel()
            await asyncio.wait([replayer])
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._io, self._log.close)
        self._io.shutdown(wait=True)
        await self._inner.close()

    async def _run_io(self, fn: Callable[P, T], *args: P.args, **kw: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io, functools.partial(fn, *args, **kw))


def _decode(chunk: Chunk) -> tuple[list[Record], int]:
    """The records of a chunk, in order, and the number of frames that did not decode."""
    records: list[Record] = []
    bad = 0
    for payload in chunk.payloads:
        try:
            records.extend(decode_records(payload))
        except (msgspec.DecodeError, msgspec.ValidationError, KeyError) as err:
            bad += 1
            log.error("spool_frame_undecodable", extra={"error": str(err), "bytes": len(payload)})
    return records, bad
