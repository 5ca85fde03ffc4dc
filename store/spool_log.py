"""SpoolLog: the spool on disk, an append-only log of CRC-checked frames.

Layout of the spool directory::

    0000000000000001.seg   segments, appended to, numbered in order
    0000000000000002.seg
    offset                 committed read position: {"segment": 1, "offset": 4096}

A frame is a 16-byte header and a payload::

    <u32 payload length> <u32 CRC-32 of the next 8 bytes + payload> <i64 spooled_at_ms>

Crash safety (SIGKILL or power loss at any point):

- ``append`` writes one frame and ``fdatasync``s before it returns. A crash mid-write
  leaves a torn last frame (short, or zero-filled, or garbage); :meth:`SpoolLog.open`
  checks every frame's length and CRC and truncates a segment at its first bad frame.
  A failed write (disk full) is truncated back at once, so the log stays well formed.
- The read position moves only in :meth:`commit`, after the consumer has made the
  frames durable elsewhere; it is written to a temporary file, fsync'd and renamed over
  ``offset`` (then the directory is fsync'd). A crash before that replays the frames
  again. Segments wholly before the position are deleted after the rename, and again
  on open if a crash came in between.
- A new segment is created (and the directory fsync'd) when the next frame would pass
  ``segment_bytes``, and whenever the log has been read to its end, so a drained spool
  holds no data on disk.

Not thread-safe: one thread (the spool's I/O thread) makes every call.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec

from store.errors import SpoolFullError

__all__ = ["FRAME_HEADER_BYTES", "Chunk", "Position", "SpoolLog"]

log = logging.getLogger(__name__)

_HEADER: Final = struct.Struct("<IIq")
FRAME_HEADER_BYTES: Final = _HEADER.size
_MAX_PAYLOAD: Final = 1 << 30
_SUFFIX: Final = ".seg"
_OFFSET: Final = "offset"
_OFFSET_TMP: Final = "offset.tmp"

_sync = getattr(os, "fdatasync", os.fsync)


class Position(msgspec.Struct, frozen=True, order=True):
    """A place in the log: byte ``offset`` inside segment number ``segment``."""

    segment: int
    offset: int


@dataclass(frozen=True)
class Chunk:
    """Frames read from the committed position; ``commit(chunk)`` consumes them."""

    payloads: list[bytes]
    end: Position
    frames: int  # frames consumed, ``dropped`` included
    size: int  # bytes consumed, headers included
    dropped: int  # frames skipped because their CRC no longer matched


@dataclass
class _Frame:
    start: int
    size: int  # header + payload
    spooled_at_ms: int


class SpoolLog:
    """The frames not yet consumed, across segment files; see the module docstring."""

    def __init__(self, directory: Path, *, max_bytes: int, segment_bytes: int) -> None:
        """Use :meth:`open`."""
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.bytes = 0  # pending bytes, headers included
        self.frames = 0  # pending frames
        self.oldest_spooled_at_ms: int | None = None
        self._position = Position(1, 0)
        self._sizes: dict[int, int] = {}  # segment -> size, for segments >= position
        self._tail_fd: int | None = None
        self._tail = 0  # number of the segment appended to (0: none open)

    @classmethod
    def open(cls, directory: Path, *, max_bytes: int, segment_bytes: int) -> SpoolLog:
        """Open (or create) the log in ``directory``, repairing a torn last frame."""
        if max_bytes <= 0 or segment_bytes <= FRAME_HEADER_BYTES:
            raise ValueError("max_bytes and segment_bytes must be positive")
        directory.mkdir(parents=True, exist_ok=True)
        spool = cls(directory, max_bytes=max_bytes, segment_bytes=segment_bytes)
        spool._recover()
        return spool

    # -- appending -----------------------------------------------------------------

    def append(self, payload: bytes, spooled_at_ms: int) -> None:
        """Append one frame and make it durable; raises SpoolFullError past ``max_bytes``."""
        size = FRAME_HEADER_BYTES + len(payload)
        if not payload or len(payload) > _MAX_PAYLOAD:
            raise ValueError(f"frame payload of {len(payload)} bytes")
        if self.bytes + size > self.max_bytes:
            raise SpoolFullError(
                f"spool full: {self.bytes} + {size} bytes would pass {self.max_bytes}"
            )
        fd = self._tail_for(size)
        before = self._sizes[self._tail]
        header = _HEADER.pack(len(payload), _crc(payload, spooled_at_ms), spooled_at_ms)
        try:
            _write_all(fd, header + payload)
            _sync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, before)
            raise
        self._sizes[self._tail] = before + size
        if self.frames == 0:
            self.oldest_spooled_at_ms = spooled_at_ms
        self.frames += 1
        self.bytes += size

    def _tail_for(self, size: int) -> int:
        """The descriptor to append ``size`` bytes to, rotating to a new segment if due."""
        if self._tail_fd is not None:
            used = self._sizes[self._tail]
            if used == 0 or used + size <= self.segment_bytes:
                return self._tail_fd
            os.close(self._tail_fd)
            self._tail_fd = None
        number = max(self._tail + 1, self._position.segment)
        fd = os.open(self._path(number), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _fsync_dir(self.directory)
        self._tail, self._tail_fd = number, fd
        self._sizes[number] = 0
        return fd

    # -- consuming -----------------------------------------------------------------

    def read(self, max_bytes: int) -> Chunk:
        """Frames from the committed position, at least one (if any) and about
        ``max_bytes`` of payload at most. Does not move the position."""
        payloads: list[bytes] = []
        pos, frames, size, dropped, total = self._position, 0, 0, 0, 0
        while frames < self.frames and (not payloads or total < max_bytes):
            if pos.offset >= self._sizes.get(pos.segment, 0):
                pos = Position(pos.segment + 1, 0)
                continue
            with open(self._path(pos.segment), "rb") as f:
                f.seek(pos.offset)
                while frames < self.frames and (not payloads or total < max_bytes):
                    header = f.read(FRAME_HEADER_BYTES)
                    if len(header) < FRAME_HEADER_BYTES:
                        raise OSError(f"spool segment {pos.segment} shrank under the reader")
                    length, crc, spooled_at = _HEADER.unpack(header)
                    payload = f.read(length)
                    pos = Position(pos.segment, pos.offset + FRAME_HEADER_BYTES + length)
                    frames += 1
                    size += FRAME_HEADER_BYTES + length
                    if _crc(payload, spooled_at) == crc and len(payload) == length:
                        payloads.append(payload)
                        total += length
                    else:
                        dropped += 1
                        log.error(
                            "spool_frame_corrupt",
                            extra={"segment": pos.segment, "end": pos.offset, "bytes": length},
                        )
                    if pos.offset >= self._sizes[pos.segment]:
                        break
        return Chunk(payloads, pos, frames, size, dropped)

    def commit(self, chunk: Chunk) -> None:
        """Consume the frames of ``chunk`` (read from the current position): move the
        committed position past them durably, then delete segments left behind."""
        pos = chunk.end
        while pos.segment in self._sizes and pos.offset >= self._sizes[pos.segment]:
            if pos.segment == self._tail and self._tail_fd is not None:
                os.close(self._tail_fd)  # read to the end: next append starts a new segment
                self._tail_fd = None
            pos = Position(pos.segment + 1, 0)
        self._write_position(pos)
        self._position = pos
        for number in [n for n in self._sizes if n < pos.segment]:
            del self._sizes[number]
            with contextlib.suppress(FileNotFoundError):
                self._path(number).unlink()
        self.frames -= chunk.frames
        self.bytes -= chunk.size
        self.oldest_spooled_at_ms = self._spooled_at(pos) if self.frames else None

    def close(self) -> None:
        if self._tail_fd is not None:
            os.close(self._tail_fd)
            self._tail_fd = None

    # -- opening -------------------------------------------------------------------

    def _recover(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / _OFFSET_TMP).unlink()
        numbers = sorted(
            int(p.stem) for p in self.directory.glob(f"*{_SUFFIX}") if p.stem.isdigit()
        )
        pos = self._read_position()
        if pos is None:
            pos = Position(numbers[0] if numbers else 1, 0)
        for number in numbers:
            if number < pos.segment:
                self._path(number).unlink()  # consumed; a crash came before the delete
        numbers = [n for n in numbers if n >= pos.segment]
        if numbers and numbers[0] != pos.segment:
            log.error("spool_segment_missing", extra={"segment": pos.segment})
            pos = Position(numbers[0], 0)
        first: _Frame | None = None
        for number in numbers:
            start = pos.offset if number == pos.segment else 0
            frames, end = self._scan(number, start)
            self._sizes[number] = end
            self.frames += len(frames)
            self.bytes += end - start
            if first is None and frames:
                first = frames[0]
        self._position = pos
        self._tail = numbers[-1] if numbers else 0
        self.oldest_spooled_at_ms = first.spooled_at_ms if first else None
        if self._tail and self._sizes[self._tail] < self.segment_bytes:
            path = self._path(self._tail)
            self._tail_fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        log.info(
            "spool_opened",
            extra={
                "directory": str(self.directory),
                "frames": self.frames,
                "bytes": self.bytes,
                "segments": len(numbers),
            },
        )

    def _scan(self, number: int, start: int) -> tuple[list[_Frame], int]:
        """The valid frames of a segment from ``start``; truncates it after the last."""
        path = self._path(number)
        frames: list[_Frame] = []
        size = path.stat().st_size
        offset = min(start, size)
        with open(path, "rb") as f:
            f.seek(offset)
            while offset < size:
                header = f.read(FRAME_HEADER_BYTES)
                if len(header) < FRAME_HEADER_BYTES:
                    break
                length, crc, spooled_at = _HEADER.unpack(header)
                if length == 0 or length > size - offset - FRAME_HEADER_BYTES:
                    break
                if _crc(f.read(length), spooled_at) != crc:
                    break
                frames.append(_Frame(offset, FRAME_HEADER_BYTES + length, spooled_at))
                offset += FRAME_HEADER_BYTES + length
        if offset < size:
            log.warning(
                "spool_torn_frame_truncated",
                extra={"segment": number, "offset": offset, "dropped_bytes": size - offset},
            )
            with open(path, "r+b") as f:
                f.truncate(offset)
                os.fsync(f.fileno())
        return frames, offset

    # -- files ---------------------------------------------------------------------

    def _path(self, number: int) -> Path:
        return self.directory / f"{number:016d}{_SUFFIX}"

    def _read_position(self) -> Position | None:
        try:
            return msgspec.json.decode((self.directory / _OFFSET).read_bytes(), type=Position)
        except FileNotFoundError:
            return None

    def _write_position(self, pos: Position) -> None:
        tmp = self.directory / _OFFSET_TMP
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_all(fd, msgspec.json.encode(pos))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.directory / _OFFSET)
        _fsync_dir(self.directory)

    def _spooled_at(self, pos: Position) -> int | None:
        """``spooled_at_ms`` of the frame at (or after) ``pos``."""
        for number in sorted(n for n in self._sizes if n >= pos.segment):
            offset = pos.offset if number == pos.segment else 0
            if offset < self._sizes[number]:
                with open(self._path(number), "rb") as f:
                    f.seek(offset)
                    _, _, spooled_at = _HEADER.unpack(f.read(FRAME_HEADER_BYTES))
                    return int(spooled_at)
        return None


def _crc(payload: bytes, spooled_at_ms: int) -> int:
    return zlib.crc32(payload, zlib.crc32(struct.pack("<q", spooled_at_ms)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
