"""Fuzz of the payload decoder: nothing a client sends makes it raise or fail internally."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import decode_message
from lifeline.payloads import RejectReason
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
