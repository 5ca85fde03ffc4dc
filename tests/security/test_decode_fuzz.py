"""Fuzz of the payload decoder: nothing a client sends makes it raise or fail internally."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import decode_message
from lifeline.core.payloads import MAX_NESTING_DEPTH, RejectReason
from tests.ingest.conftest import NOW_MS, build_registry

REGISTRY = build_registry()
TOPICS = [
    "lifeline/v1/gas/GAS-0001/reading",
    "lifeline/v1/gas/GAS-0002/event",
    "lifeline/v1/meter/MTR-00000001/reading",
    "lifeline/v1/heat/HEAT-001/HEAT-001-S01/telemetry",
    "lifeline/v1/heat/HEAT-002/HEAT-001-S01/telemetry",  # wrong enterprise
    "lifeline/v1/gas/GAS-9999/reading",  # unknown
    "lifeline/v1/gas/bad id/reading",
    "lifeline/v1/alerts/major/GAS-0001",
    "elsewhere/x",
]
FIELDS = [
    "ts", "lel_pct", "temp_c", "humidity_pct", "battery_v", "signal_dbm", "type", "detail",
    "volume_m3", "flow_m3h", "valve", "alarms", "primary_supply_temp_c", "heat_gj",
    "pump_running", "indoor_temp_c", "batch",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [NOW_MS, NOW_MS - 1000, "2026-11-25T08:00:00+08:00", "2026-11-25T08:00:00", "alarm_low",
         "open", "micro_leak", 1e308, -0.0]
    ),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=12,
)
records = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
documents: st.SearchStrategy[Any] = st.one_of(
    records,
    st.builds(
        lambda batch: {"batch": batch}, st.lists(st.one_of(records, json_values), max_size=8)
    ),
    json_values,
)


def _encode(document: Any) -> bytes:
    return json.dumps(document, allow_nan=True).encode()  # NaN/Infinity tokens included


def _mangle(data: bytes, cut: int) -> bytes:
    return data[: cut % (len(data) + 1)]


@settings(
    max_examples=800,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    topic=st.sampled_from(TOPICS),
    document=documents,
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    utility=st.sampled_from([None, "gas-huarun", "gas-ganghua", "heat-001"]),
)
def test_json_like_payloads_never_raise_nor_fail_internally(
    topic: str, document: Any, cut: int | None, utility: str | None
) -> None:
    payload = _encode(document)
    if cut is not None:
        payload = _mangle(payload, cut)
    decoded = decode_message(topic, payload, registry=REGISTRY, now_ms=NOW_MS, utility_id=utility)
    assert all(r.reason is not RejectReason.INTERNAL for r in decoded.rejects)
    assert decoded.records or decoded.rejects  # every message has an outcome


@settings(max_examples=300, deadline=None, database=None)
@given(topic=st.sampled_from(TOPICS), payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_nor_fail_internally(topic: str, payload: bytes) -> None:
    decoded = decode_message(topic, payload, registry=REGISTRY, now_ms=NOW_MS)
    assert decoded.records or decoded.rejects
    assert all(r.reason is not RejectReason.INTERNAL for r in decoded.rejects)


def _nest(inner: bytes, depth: int, as_object: bool) -> bytes:
    """``inner`` inside ``depth`` arrays or objects (bytes: json.dumps would recurse)."""
    opening, closing = (b'{"k":', b"}") if as_object else (b"[", b"]")
    return opening * depth + inner + closing * depth


@settings(max_examples=150, deadline=None, database=None)
@given(
    inner=json_values,
    depth=st.one_of(
        st.integers(min_value=MAX_NESTING_DEPTH - 3, max_value=MAX_NESTING_DEPTH + 3),
        st.integers(min_value=0, max_value=3000),
    ),
    as_object=st.booleans(),
    where=st.sampled_from(["unknown", "known", "element"]),
    nan_beside=st.booleans(),
)
def test_deep_nesting_rejects_only_its_record(
    inner: Any, depth: int, as_object: bool, where: str, nan_beside: bool
) -> None:
    """A batch of good records around one deeply nested value: the good ones stand, the
    nested one is rejected alone (too_deep past the limit), and nothing is internal."""
    nested = _nest(_encode(inner), depth, as_object)
    if where == "unknown":
        middle = b'{"ts":%d,"lel_pct":1.0,"vendor":%s}' % (NOW_MS, nested)
    elif where == "known":
        middle = b'{"ts":%d,"lel_pct":%s}' % (NOW_MS, nested)
    else:
        middle = nested
    good = [_encode({"ts": NOW_MS - 1000 * i, "lel_pct": 2.0}) for i in (1, 2)]
    extra = [b'{"ts":%d,"lel_pct":NaN}' % NOW_MS] if nan_beside else []
    payload = b'{"batch":[' + b",".join([good[0], middle, *extra, good[1]]) + b"]}"
    decoded = decode_message(TOPICS[0], payload, registry=REGISTRY, now_ms=NOW_MS)
    stored = [r.ts_ms for r in decoded.records]
    assert [ts for ts in stored if ts != NOW_MS] == [NOW_MS - 1000, NOW_MS - 2000]
    assert all(r.reason is not RejectReason.INTERNAL for r in decoded.rejects)
    record_depth = 1 + depth + _depth(inner) if where != "element" else depth + _depth(inner)
    too_deep = [r.index for r in decoded.rejects if r.reason is RejectReason.TOO_DEEP]
    assert too_deep == ([1] if record_depth > MAX_NESTING_DEPTH else [])


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0
