"""Binary encoding of validated records between Lifeline processes (msgpack).

The record body is a union of four structs; msgpack carries no type tag, so each record
travels as ``[kind, source_id, ts_ms, enterprise_id, utility_id, body]`` and the body is
decoded by kind. Used on the internal record topics (and nowhere on the wire contract).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from lifeline.payloads import GasEvent, GasReading, MeterReading, StationTelemetry
from lifeline.records import Body, Record
from lifeline.topics import RecordKind

__all__ = ["decode_records", "encode_records"]


class _Wire(msgspec.Struct, array_like=True):
    kind: RecordKind
    source_id: str
    ts_ms: int
    enterprise_id: str | None
    utility_id: str | None
    body: msgspec.Raw


_BODY: Final[dict[RecordKind, msgspec.msgpack.Decoder[Body]]] = {
    RecordKind.GAS_READING: msgspec.msgpack.Decoder(GasReading),
    RecordKind.GAS_EVENT: msgspec.msgpack.Decoder(GasEvent),
    RecordKind.METER_READING: msgspec.msgpack.Decoder(MeterReading),
    RecordKind.STATION_TELEMETRY: msgspec.msgpack.Decoder(StationTelemetry),
}
_ENCODER: Final = msgspec.msgpack.Encoder()
_DECODER: Final = msgspec.msgpack.Decoder(list[_Wire])


def encode_records(records: Sequence[Record]) -> bytes:
    return _ENCODER.encode(
        [
            _Wire(
                r.kind,
                r.source_id,
                r.ts_ms,
                r.enterprise_id,
                r.utility_id,
                msgspec.Raw(_ENCODER.encode(r.body)),
            )
            for r in records
        ]
    )


def decode_records(data: bytes) -> list[Record]:
    """Inverse of :func:`encode_records`; raises msgspec.DecodeError on foreign bytes."""
    return [
        Record(
            w.kind,
            w.source_id,
            w.ts_ms,
            _BODY[w.kind].decode(w.body),
            w.enterprise_id,
            w.utility_id,
        )
        for w in _DECODER.decode(data)
    ]
