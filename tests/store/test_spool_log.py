"""SpoolLog on real files: frames, segments, the committed position, crash repair."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from store.errors import SpoolFullError
from store.spool_log import FRAME_HEADER_BYTES, Position, SpoolLog

KiB = 1 << 10


def payload(i: int, size: int = 100) -> bytes:
    return f"{i:08d}".encode().ljust(size, b".")


def open_log(path: Path, max_bytes: int = 1 << 20, segment_bytes: int = 1 << 20) -> SpoolLog:
    return SpoolLog.open(path, max_bytes=max_bytes, segment_bytes=segment_bytes)


def drain(spool: SpoolLog, max_bytes: int = 1 << 20) -> list[bytes]:
    out: list[bytes] = []
    while spool.frames:
        chunk = spool.read(max_bytes)
        out.extend(chunk.payloads)
        spool.commit(chunk)
    return out


def segments(path: Path) -> list[Path]:
    return sorted(path.glob("*.seg"))


def test_frames_come_back_in_order_across_segments_and_reopen(tmp_path: Path) -> None:
    spool = open_log(tmp_path, segment_bytes=3 * (FRAME_HEADER_BYTES + 100))
    for i in range(10):
        spool.append(payload(i), spooled_at_ms=1000 + i)
    assert len(segments(tmp_path)) == 4  # 3 + 3 + 3 + 1 frames
    spool.close()

    reopened = open_log(tmp_path, segment_bytes=3 * (FRAME_HEADER_BYTES + 100))
    assert reopened.frames == 10
    assert reopened.bytes == 10 * (FRAME_HEADER_BYTES + 100)
    assert reopened.oldest_spooled_at_ms == 1000
    assert drain(reopened, max_bytes=250) == [payload(i) for i in range(10)]
    assert reopened.bytes == 0
    assert reopened.oldest_spooled_at_ms is None


def test_read_does_not_consume_until_commit(tmp_path: Path) -> None:
    spool = open_log(tmp_path)
    for i in range(3):
        spool.append(payload(i), spooled_at_ms=i)

    first = spool.read(150)
    again = spool.read(150)

    assert first.payloads == again.payloads == [payload(0), payload(1)]
    spool.commit(first)
    assert spool.frames == 1
    assert spool.oldest_spooled_at_ms == 2
    assert spool.read(150).payloads == [payload(2)]


def test_committed_position_survives_reopen_and_consumed_segments_are_deleted(
    tmp_path: Path,
) -> None:
    frame = FRAME_HEADER_BYTES + 100
    spool = open_log(tmp_path, segment_bytes=2 * frame)
    for i in range(5):
        spool.append(payload(i), spooled_at_ms=i)
    spool.commit(spool.read(300))  # frames 0..2: the first segment and half the second
    assert [p.name for p in segments(tmp_path)] == [
        "0000000000000002.seg",
        "0000000000000003.seg",
    ]
    spool.close()

    reopened = open_log(tmp_path, segment_bytes=2 * frame)
    assert reopened.frames == 2
    assert drain(reopened) == [payload(3), payload(4)]
    assert segments(tmp_path) == []
    reopened.append(payload(5), spooled_at_ms=5)  # a new segment after the drained ones
    assert reopened.read(1).end == Position(4, frame)


def test_drained_log_leaves_no_data_and_restarts_in_a_new_segment(tmp_path: Path) -> None:
    spool = open_log(tmp_path)
    spool.append(payload(0), spooled_at_ms=0)
    drain(spool)
    assert segments(tmp_path) == []

    spool.append(payload(1), spooled_at_ms=1)
    spool.close()
    assert [p.name for p in segments(tmp_path)] == ["0000000000000002.seg"]
    assert drain(open_log(tmp_path)) == [payload(1)]


def test_append_past_the_bound_raises_and_writes_nothing(tmp_path: Path) -> None:
    frame = FRAME_HEADER_BYTES + 100
    spool = open_log(tmp_path, max_bytes=2 * frame + 10)
    spool.append(payload(0), spooled_at_ms=0)
    spool.append(payload(1), spooled_at_ms=1)

    with pytest.raises(SpoolFullError):
        spool.append(payload(2), spooled_at_ms=2)

    assert spool.bytes == 2 * frame
    assert sum(p.stat().st_size for p in segments(tmp_path)) == 2 * frame
    spool.commit(spool.read(1))  # room again once a frame is consumed
    spool.append(payload(2), spooled_at_ms=2)
    assert drain(spool) == [payload(1), payload(2)]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-7], id="cut_in_payload"),
        pytest.param(lambda data: data[: -(100 + 5)], id="cut_in_header"),
        pytest.param(lambda data: data + b"\0" * 300, id="zero_filled_tail"),
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 1]), id="flipped_bit"),
    ],
)
def test_torn_last_frame_is_truncated_on_open(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    spool = open_log(tmp_path)
    for i in range(3):
        spool.append(payload(i), spooled_at_ms=i)
    spool.close()
    (segment,) = segments(tmp_path)
    whole = segment.read_bytes()
    segment.write_bytes(damage(whole))

    reopened = open_log(tmp_path)

    keep = 3 if damage(whole).startswith(whole) else 2
    assert reopened.frames == keep
    assert segment.stat().st_size == keep * (FRAME_HEADER_BYTES + 100)
    reopened.append(payload(9), spooled_at_ms=9)
    assert drain(reopened) == [*(payload(i) for i in range(keep)), payload(9)]


def test_frame_corrupted_after_open_is_skipped_and_counted(tmp_path: Path) -> None:
    spool = open_log(tmp_path)
    for i in range(3):
        spool.append(payload(i), spooled_at_ms=i)
    (segment,) = segments(tmp_path)
    with segment.open("r+b") as f:  # bit rot inside the middle frame's payload
        f.seek(FRAME_HEADER_BYTES + 100 + FRAME_HEADER_BYTES + 50)
        f.write(b"X")

    chunk = spool.read(1 << 20)

    assert chunk.payloads == [payload(0), payload(2)]
    assert chunk.dropped == 1
    spool.commit(chunk)
    assert spool.frames == 0
    assert spool.bytes == 0


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from store.spool_log import SpoolLog

    spool = SpoolLog.open(Path(sys.argv[1]), max_bytes=1 << 30, segment_bytes=256 << 10)
    i = 0
    while True:
        spool.append(f"{i:08d}".encode() * (1 + i % 500), spooled_at_ms=i)
        print(i, flush=True)
        i += 1
    """
)


def test_sigkill_while_appending_keeps_every_acknowledged_frame(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path / "spool")],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert child.stdout is not None
    acked = -1
    for line in child.stdout:
        acked = int(line)
        if acked >= 300:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    for line in child.stdout:  # appended after the last line we read, before the kill
        acked = int(line)

    spool = open_log(tmp_path / "spool", max_bytes=1 << 30, segment_bytes=256 * KiB)
    frames = drain(spool)

    assert len(frames) >= acked + 1  # every append that returned is there
    assert frames == [f"{i:08d}".encode() * (1 + i % 500) for i in range(len(frames))]
