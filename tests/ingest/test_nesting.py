"""measure_nesting: the depth read from bytes matches the parsed document, the cut
payload keeps every shallow part, and nothing a client sends can make a parser recurse
past the cut."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.nesting import measure_nesting

LIMIT, MARGIN = 6, 2
CUT = object()  # where the reference cut puts its marker


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def cut_reference(value: Any, level: int = 1) -> Any:
    """``value`` with every container opening deeper than LIMIT + MARGIN replaced."""
    if not isinstance(value, dict | list):
        return value
    if level > LIMIT + MARGIN:
        return CUT
    if isinstance(value, dict):
        return {k: cut_reference(v, level + 1) for k, v in value.items()}
    return [cut_reference(v, level + 1) for v in value]


def unmark(value: Any, marker: str) -> Any:
    if value == marker:
        return CUT
    if isinstance(value, dict):
        return {k: unmark(v, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [unmark(v, marker) for v in value]
    return value


tricky_text = st.text(alphabet='[]{}"\\ ,:ab\u00e9\u4e2d\U0001f600', max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), tricky_text
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(tricky_text, inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def nested_documents(draw: st.DrawFn) -> Any:
    """A document wrapped in 0 to 40 more arrays/objects, so depths cross the limit."""
    document = draw(documents)
    for wrapper in draw(st.lists(st.sampled_from(["list", "dict"]), max_size=40)):
        document = [document] if wrapper == "list" else {draw(tricky_text): document}
    return document


@settings(max_examples=200, deadline=None, database=None)
@given(document=nested_documents(), ascii_only=st.booleans())
def test_depth_and_cut_match_the_parsed_document(document: Any, ascii_only: bool) -> None:
    payload = json.dumps(document, ensure_ascii=ascii_only).encode()
    nesting = measure_nesting(payload, LIMIT, MARGIN)
    assert nesting.deep is (depth_of(document) > LIMIT)
    if nesting.cuts == 0:
        assert nesting.payload == payload
        assert depth_of(document) <= LIMIT + MARGIN
        return
    marker = nesting.marker.decode()[1:-1]
    assert unmark(json.loads(nesting.payload), marker) == cut_reference(document)
    assert nesting.payload.count(nesting.marker) == nesting.cuts


@settings(max_examples=600, deadline=None, database=None)
@given(
    payload=st.lists(
        st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b",", b":", b"1", b'"a"', b"\xff"]),
        max_size=300,
    ).map(b"".join)
)
def test_no_parser_recurses_past_the_cut_on_any_bytes(payload: bytes) -> None:
    nesting = measure_nesting(payload, LIMIT, MARGIN)
    with contextlib.suppress(msgspec.DecodeError):  # malformed is fine; RecursionError not
        msgspec.json.decode(nesting.payload)
    # Deep enough to hit the recursion limit unless the cut holds: 900 more levels.
    deep = b"[" * 900 + payload + b"]" * 900
    nested = measure_nesting(deep, LIMIT, MARGIN)
    assert nested.deep
    try:
        decoded = msgspec.json.decode(nested.payload)
    except msgspec.DecodeError:
        return
    assert depth_of(decoded) <= LIMIT + MARGIN


def test_shallow_parts_of_a_batch_are_kept_byte_for_byte() -> None:
    shallow = b'{"ts": 1, "s": "]]]}}}\\"[[", "n": [[1], {"a": [2]}]}'
    deep = b'{"ts": 2, "x": ' + b"[" * 50 + b"]" * 50 + b"}"
    payload = b'{"batch": [' + shallow + b", " + deep + b", " + shallow + b"]}"
    nesting = measure_nesting(payload, LIMIT, MARGIN)
    records = msgspec.json.decode(nesting.payload, type=dict[str, list[msgspec.Raw]])["batch"]
    assert [bytes(r) for r in records][::2] == [shallow, shallow]
    assert [nesting.cuts_in(bytes(r)) for r in records] == [0, 1, 0]


@pytest.mark.parametrize(
    ("payload", "deep"),
    [
        (b"[" * LIMIT + b"]" * LIMIT, False),
        (b"[" * (LIMIT + 1) + b"]" * (LIMIT + 1), True),
        (b'["' + b"[" * 100 + b'"]', False),  # brackets in a string
        (b'["\\\\", ' + b"[" * (LIMIT + 1) + b"]" * (LIMIT + 1) + b"]", True),
        (b'["\\"' + b"[" * 100 + b'"]', False),  # an escaped quote does not end the string
        # malformed: a parser stops at the first closer, before any of the openers
        (b"]" * 100 + b"[" * (LIMIT + 1), False),
    ],
)
def test_brackets_are_counted_outside_strings_only(payload: bytes, deep: bool) -> None:
    assert measure_nesting(payload, LIMIT, MARGIN).deep is deep


def test_the_marker_never_occurs_in_the_payload() -> None:
    payload = b'["lifeline-cut-", ' + b"[" * 20 + b"]" * 20 + b"]"
    nesting = measure_nesting(payload, LIMIT, MARGIN)
    assert nesting.cuts == 1
    assert nesting.marker not in payload
    assert nesting.cuts_in(payload) == 0
