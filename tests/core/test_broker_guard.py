"""The embedded broker's guards as pure pieces: the packet size limit follows MQTT
framing exactly, the connect throttle locks out with backoff and forgets."""

from __future__ import annotations

import pytest

from lifeline.broker_guard import ConnectThrottle, OversizedPacketError, PacketSizeLimit


class _Bytes:
    """A reader adapter over fixed bytes, read in the sizes amqtt asks for."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, n: int = -1) -> bytes:
        taken, self.data = (self.data, b"") if n < 0 else (self.data[:n], self.data[n:])
        return taken

    def feed_eof(self) -> None:
        pass


def _packet(kind: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        length, digit = divmod(length, 128)
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([kind << 4]) + bytes(encoded) + body


async def _read_packets(reader: PacketSizeLimit, count: int) -> None:
    """Read as amqtt does: the fixed header byte by byte, then the body in one read."""
    for _ in range(count):
        await reader.read(1)
        length, multiplier = 0, 1
        while True:
            byte = (await reader.read(1))[0]
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            if not byte & 0x80:
                break
        if length:
            await reader.read(length)


async def test_packets_up_to_the_limit_pass_and_the_first_larger_one_is_refused_unread() -> None:
    small = _packet(3, b"x" * 1000) + _packet(12, b"") + _packet(3, b"y" * 4000)
    huge_body = b"z" * 4001
    inner = _Bytes(small + _packet(3, huge_body))
    reader = PacketSizeLimit(inner, limit=4000, peer="test")
    await _read_packets(reader, 3)
    with pytest.raises(OversizedPacketError):
        await _read_packets(reader, 1)
    assert inner.data == huge_body  # refused once its length was known, body unread


def test_throttle_blocks_after_five_failures_with_growing_lockouts_and_forgives() -> None:
    now = [0.0]
    throttle = ConnectThrottle(first_block_s=10, max_block_s=40, clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("10.0.0.1")
    assert not throttle.blocked("10.0.0.1")
    throttle.failed("10.0.0.1")
    assert throttle.blocked("10.0.0.1")
    assert not throttle.blocked("10.0.0.2")
    now[0] = 10.5
    assert not throttle.blocked("10.0.0.1")
    for _ in range(5):
        throttle.failed("10.0.0.1")
    now[0] = 10.5 + 19
    assert throttle.blocked("10.0.0.1")  # the second lockout lasts twice as long (20 s)
    now[0] = 10.5 + 20 + 41  # quiet for longer than the longest lockout: start over
    for _ in range(5):
        throttle.failed("10.0.0.1")
    now[0] += 10.5
    assert not throttle.blocked("10.0.0.1")


def test_failures_older_than_the_window_do_not_count() -> None:
    now = [0.0]
    throttle = ConnectThrottle(window_s=60, clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("10.0.0.1")
    now[0] = 61
    throttle.failed("10.0.0.1")
    assert not throttle.blocked("10.0.0.1")
