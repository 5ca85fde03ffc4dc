"""Binary encoding of a batch of validated records between Lifeline processes and in
the spool: msgpack, exact round trip (never on the wire contract).

``Record.body`` is an untagged union of four structs, which msgspec cannot decode on
its own, so each record is written as a small envelope (an array)::

    [kind, source_id, ts_ms, enterprise_id, utility_id, body]

and ``body`` is decoded with the struct type that ``kind`` names. Bodies are turned
into builtins first, so a ``ts`` that arrived as RFC 3339 keeps its UTC offset (msgpack's
timestamp extension would normalise it to UTC) and one that arrived as epoch
milliseconds stays an ``int``: ``decode_records(encode_records(rs)) == rs`` field by field.
Body fields that are ``None`` are left out (they all default to ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from lifeline.core.payloads import GasEvent, GasReading, MeterReading, StationTelemetry
from lifeline.core.records import Body, Record
from lifeline.core.topics import RecordKind

__all__ = ["decode_records", "encode_records"]


class _Entry(msgspec.Struct, array_like=True, frozen=True):
    kind: RecordKind
    source_id: str
    ts_ms: int
    enterprise_id: str | None
    utility_id: str | None
    body: msgspec.Raw


_BODY_DECODERS: Final[dict[RecordKind, msgspec.msgpack.Decoder[Body]]] = {
    RecordKind.GAS_READING: msgspec.msgpack.Decoder(GasReading),
    RecordKind.GAS_EVENT: msgspec.msgpack.Decoder(GasEvent),
    RecordKind.METER_READING: msgspec.msgpack.Decoder(MeterReading),
    RecordKind.STATION_TELEMETRY: msgspec.msgpack.Decoder(StationTelemetry),
}
_ENTRIES: Final = msgspec.msgpack.Decoder(list[_Entry])
_ENCODER: Final = msgspec.msgpack.Encoder()


def encode_records(records: Sequence[Record]) -> bytes:
    """One batch as msgpack bytes (see the module docstring for the layout)."""
    return _ENCODER.encode(
        [
            (
                r.kind.value,
                r.source_id,
                r.ts_ms,
                r.enterprise_id,
                r.utility_id,
                _body_fields(r.body),
            )
            for r in records
        ]
    )


def _body_fields(body: Body) -> dict[str, object]:
    # Optional fields all default to None: leaving them out halves a station record.
    fields: dict[str, object] = msgspec.to_builtins(body)
    return {name: value for name, value in fields.items() if value is not None}


def decode_records(data: bytes | memoryview) -> list[Record]:
    """The records of :func:`encode_records`; raises ``msgspec.DecodeError`` if malformed."""
    return [
        Record(
            kind=e.kind,
            source_id=e.source_id,
            ts_ms=e.ts_ms,
            body=_BODY_DECODERS[e.kind].decode(e.body),
            enterprise_id=e.enterprise_id,
            utility_id=e.utility_id,
        )
        for e in _ENTRIES.decode(data)
    ]
