"""decode_message on hostile and odd payloads (issue 10.5): each gets its contract
reason, never ``internal``, and the other records of a batch stand."""

from __future__ import annotations

import sys

import pytest

from ingest.decode import Decoded, decode_message
from lifeline.core.payloads import MAX_NESTING_DEPTH, MAX_PAYLOAD_BYTES, GasEvent, RejectReason
from lifeline.core.registry import Registry
from tests.ingest.conftest import NOW_MS

GAS = "lifeline/v1/gas/GAS-0001/reading"
EVENT = "lifeline/v1/gas/GAS-0002/event"
DEEP = MAX_NESTING_DEPTH
HUGE = 5000
BIG_INT = b"1" + b"0" * 5000
NAN = b'{"ts":%d,"lel_pct":NaN}' % NOW_MS

R = RejectReason


def good(ts: int = NOW_MS) -> bytes:
    return b'{"ts":%d,"lel_pct":2.5}' % ts


def arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def with_field(name: bytes, value: bytes, ts: int = NOW_MS) -> bytes:
    return b'{"ts":%d,"lel_pct":2.5,"%s":%s}' % (ts, name, value)


def batch(*records: bytes, extra: bytes = b"") -> bytes:
    return b'{"batch":[' + b",".join(records) + b"]" + extra + b"}"


def outcome(out: Decoded) -> tuple[list[int], list[tuple[RejectReason, int | None]]]:
    return [r.ts_ms for r in out.records], [(r.reason, r.index) for r in out.rejects]


def decode(registry: Registry, payload: bytes, topic: str = GAS) -> Decoded:
    return decode_message(topic, payload, registry=registry, now_ms=NOW_MS, utility_id=None)


A, B = NOW_MS - 2000, NOW_MS - 1000  # the good records of the batches


@pytest.mark.parametrize(
    ("payload", "stored", "rejects"),
    [
        pytest.param(objects(HUGE), [], [(R.TOO_DEEP, None)], id="deep-object-at-the-top"),
        pytest.param(arrays(HUGE), [], [(R.BAD_JSON, None)], id="deep-array-at-the-top"),
        pytest.param(
            b'{"ts":%d,"lel_pct":%s}' % (NOW_MS, arrays(HUGE)),
            [],
            [(R.TOO_DEEP, None)],
            id="deep-known-field",
        ),
        pytest.param(with_field(b"x", arrays(HUGE)), [], [(R.TOO_DEEP, None)], id="deep-unknown"),
        pytest.param(with_field(b"x", arrays(DEEP - 1)), [NOW_MS], [], id="unknown-at-limit"),
        pytest.param(with_field(b"x", arrays(DEEP)), [], [(R.TOO_DEEP, None)], id="one-over"),
        pytest.param(
            batch(good(A), arrays(HUGE), good(B)), [A, B], [(R.TOO_DEEP, 1)], id="deep-record"
        ),
        pytest.param(
            batch(good(A), with_field(b"x", objects(HUGE)), good(B)),
            [A, B],
            [(R.TOO_DEEP, 1)],
            id="deep-unknown-field-of-a-batch-record",
        ),
        pytest.param(
            batch(good(A), with_field(b"x", objects(DEEP - 1), NOW_MS), arrays(DEEP + 1), good(B)),
            [A, NOW_MS, B],
            [(R.TOO_DEEP, 2)],
            id="batch-records-at-and-over-the-limit",
        ),
        pytest.param(
            batch(good(A), arrays(DEEP), good(B)),
            [A, B],
            [(R.BAD_JSON, 1)],  # not too deep, but not an object
            id="batch-element-array-at-the-limit",
        ),
        pytest.param(
            batch(good(A), NAN, arrays(HUGE), good(B)),
            [A, B],
            [(R.NOT_FINITE, 1), (R.TOO_DEEP, 2)],
            id="deep-record-beside-nan",
        ),
        pytest.param(
            batch(good(A), extra=b',"x":' + arrays(HUGE)),
            [],
            [(R.TOO_DEEP, None)],
            id="deep-envelope-field",
        ),
        pytest.param(
            batch(good(A), extra=b',"x":' + arrays(DEEP + 1)),
            [A],
            [],
            id="envelope-field-within-its-two-extra-levels",
        ),
        pytest.param(
            batch(good(A), NAN, extra=b',"x":' + arrays(HUGE)),
            [],
            [(R.TOO_DEEP, None)],
            id="deep-envelope-field-beside-nan",
        ),
        pytest.param(
            batch(*[good(NOW_MS - i) for i in range(1000)], arrays(HUGE)),
            [],
            [(R.BATCH_TOO_LARGE, None)],
            id="batch-size-before-record-depth",
        ),
        pytest.param(b'{"ts":%d,"lel_pct":1e400}' % NOW_MS, [], [(R.NOT_FINITE, None)], id="1e400"),
        pytest.param(
            b'{"ts":%d,"lel_pct":%s}' % (NOW_MS, BIG_INT), [], [(R.NOT_FINITE, None)], id="10**5000"
        ),
        pytest.param(b'{"ts":%s,"lel_pct":1}' % BIG_INT, [], [(R.BAD_TS, None)], id="10**5000-ts"),
        pytest.param(with_field(b"x", BIG_INT), [NOW_MS], [], id="10**5000-unknown"),
        pytest.param(
            batch(good(A), NAN, with_field(b"x", BIG_INT, NOW_MS), good(B)),
            [A, NOW_MS, B],
            [(R.NOT_FINITE, 1)],
            id="10**5000-beside-nan",
        ),
        pytest.param(
            batch(good(A), b'{"ts":%d,"lel_pct":NaN,"temp_c":%s}' % (NOW_MS, BIG_INT), good(B)),
            [A, B],
            [(R.NOT_FINITE, 1)],
            id="10**5000-known-field-beside-nan",
        ),
        pytest.param(
            with_field(b"x", b'"' + b"s" * 200_000 + b'"'), [NOW_MS], [], id="huge-string-unknown"
        ),
        pytest.param(with_field(b"x", b'"\\ud800"'), [NOW_MS], [], id="surrogate-unknown"),
        pytest.param(with_field(b"\\ud800", b"1"), [NOW_MS], [], id="surrogate-unknown-key"),
        pytest.param(b'{"ts":"\\ud800","lel_pct":1}', [], [(R.BAD_JSON, None)], id="surrogate-ts"),
        pytest.param(
            batch(good(A), b'{"ts":"\\udc00","lel_pct":1}', good(B)),
            [A, B],
            [(R.BAD_JSON, 1)],
            id="surrogate-in-a-batch-record",
        ),
        pytest.param(
            batch(good(A), b'{"ts":"\\ud800","lel_pct":1}', NAN, good(B)),
            [A, B],
            [(R.BAD_JSON, 1), (R.NOT_FINITE, 2)],
            id="surrogate-beside-nan",
        ),
        pytest.param(with_field(b"x", b'"\\u0000"'), [NOW_MS], [], id="escaped-nul"),
        pytest.param(with_field(b"x", b'"a\x00b"'), [], [(R.BAD_JSON, None)], id="raw-nul"),
        pytest.param(good() + b"\x00", [], [(R.BAD_JSON, None)], id="nul-after"),
        pytest.param(b"\xef\xbb\xbf" + good(), [], [(R.BAD_JSON, None)], id="utf8-bom"),
        pytest.param(
            good().decode().encode("utf-16-le"), [], [(R.BAD_JSON, None)], id="utf16le-no-bom"
        ),
        pytest.param(
            good().decode().encode("utf-16-be"), [], [(R.BAD_JSON, None)], id="utf16be-no-bom"
        ),
        pytest.param(good().decode().encode("utf-16"), [], [(R.BAD_JSON, None)], id="utf16-bom"),
        pytest.param(good().decode().encode("utf-32"), [], [(R.BAD_JSON, None)], id="utf32"),
        pytest.param(with_field(b"x", b'"\xc0\xaf"'), [], [(R.BAD_JSON, None)], id="overlong"),
        pytest.param(
            with_field(b"x", b'"\xed\xa0\x80"'), [], [(R.BAD_JSON, None)], id="cesu-surrogate"
        ),
        pytest.param(b"null", [], [(R.BAD_JSON, None)], id="null"),
        pytest.param(b'"x"', [], [(R.BAD_JSON, None)], id="string"),
        pytest.param(b"1e400", [], [(R.BAD_JSON, None)], id="number"),
        pytest.param(b"  ", [], [(R.BAD_JSON, None)], id="whitespace"),
    ],
)
def test_hostile_payload_gets_its_reason(
    registry: Registry,
    payload: bytes,
    stored: list[int],
    rejects: list[tuple[RejectReason, int | None]],
) -> None:
    assert outcome(decode(registry, payload)) == (stored, rejects)


def test_depth_limit_does_not_depend_on_the_callers_stack(registry: Registry) -> None:
    """msgspec's own limit is the interpreter's recursion limit minus the frames in use;
    the contract's limit must give the same answer at any stack depth."""
    at_limit = batch(good(A), with_field(b"x", arrays(DEEP - 1)))

    def nested(frames: int) -> Decoded:
        return decode(registry, at_limit) if frames == 0 else nested(frames - 1)

    headroom = sys.getrecursionlimit() - 150
    assert outcome(nested(headroom)) == ([A, NOW_MS], [])


def test_duplicate_keys_keep_the_last_value_on_both_paths(registry: Registry) -> None:
    plain = decode(registry, b'{"ts":%d,"lel_pct":1.0,"lel_pct":7.0}' % NOW_MS)
    lenient = decode(registry, b'{"ts":%d,"lel_pct":1.0,"lel_pct":7.0,"x":NaN}' % NOW_MS)
    assert [r.body.lel_pct for r in plain.records] == [7.0]  # type: ignore[union-attr]
    assert [r.body.lel_pct for r in lenient.records] == [7.0]  # type: ignore[union-attr]


def test_lone_surrogate_in_a_known_string_is_bad_json_on_both_paths(registry: Registry) -> None:
    event = b'{"ts":%d,"type":"fault","detail":"\\ud800"%s}'
    for extra in (b"", b',"x":NaN'):
        out = decode(registry, event % (NOW_MS, extra), EVENT)
        assert outcome(out) == ([], [(R.BAD_JSON, None)])
        assert "surrogate" in out.rejects[0].detail
    paired = decode(registry, b'{"ts":%d,"type":"fault","detail":"\\ud83d\\ude00"}' % NOW_MS, EVENT)
    assert [r.body for r in paired.records] == [
        GasEvent(ts=NOW_MS, type="fault", detail="\U0001f600")  # type: ignore[arg-type]
    ]


def test_too_deep_rejections_say_what_and_keep_bytes(registry: Registry) -> None:
    single = with_field(b"x", arrays(HUGE))
    out = decode(registry, single)
    assert out.rejects[0].raw == single
    assert f"{DEEP} levels" in out.rejects[0].detail
    out = decode(registry, batch(good(A), with_field(b"x", arrays(HUGE), NOW_MS)))
    record = out.rejects[0].raw
    assert record.startswith(b'{"ts":%d,"lel_pct":2.5,"x":' % NOW_MS)
    assert len(record) < 200  # the too-deep part is cut out of the dead letter's record


def test_payload_of_exactly_the_limit_is_decoded_one_byte_more_is_oversized(
    registry: Registry,
) -> None:
    head = b'{"ts":%d,"lel_pct":2.5,"pad":"' % NOW_MS

    def sized(size: int) -> bytes:
        return head + b"x" * (size - len(head) - 2) + b'"}'

    assert outcome(decode(registry, sized(MAX_PAYLOAD_BYTES))) == ([NOW_MS], [])
    assert outcome(decode(registry, sized(MAX_PAYLOAD_BYTES + 1))) == ([], [(R.OVERSIZED, None)])


def test_1000_records_in_255_kib_are_all_decoded(registry: Registry) -> None:
    records = [b'{"ts":%d,"lel_pct":1.5,"n":"%s"}' % (NOW_MS - i, b"y" * 219) for i in range(1000)]
    payload = batch(*records)
    assert 254 * 1024 < len(payload) <= 255 * 1024
    stored, rejects = outcome(decode(registry, payload))
    assert rejects == []
    assert stored == [NOW_MS - i for i in range(1000)]
