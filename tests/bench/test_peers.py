"""The peer bench (bench/peers): its mixes are contract-valid and the same whatever the
number of publishers; the floor's check and the Node-RED flow check the contract's
ranges; and a tiny run through the floor and Lifeline counts every published record in
InfluxDB, exactly. No speed is asserted, and Node-RED is not run here (npm download)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from bench.peers.checks import RANGES, check_record
from bench.peers.cli import run
from bench.peers.measure import MeasureOptions
from bench.peers.mixes import MixName, PeerTraffic, messages
from bench.peers.nodered_flow import JOIN_COUNT, flow, function_code
from bench.peers.variants import VariantName
from bench.services import INFLUXD_BINARIES, MOSQUITTO_BINARIES
from ingest.decode import decode_message
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.seed import generate_registry
from tests.services import require_binary

METERS = 500


@pytest.fixture(scope="module")
def registry() -> Registry:
    return generate_registry(meters=METERS)


@pytest.mark.parametrize("mix", list(MixName))
def test_mix_is_contract_valid_and_split_over_publishers(mix: MixName, registry: Registry) -> None:
    traffic = PeerTraffic.of(mix, 60, registry)
    one = {(m.topic, m.payload) for m in messages(traffic, 0, 1)}
    three = {(m.topic, m.payload) for w in range(3) for m in messages(traffic, w, 3)}
    assert one == three
    assert len(one) == 60
    records = 0
    for message in messages(traffic, 0, 1):
        decoded = decode_message(message.topic, message.payload, registry=registry, now_ms=now_ms())
        assert decoded.rejects == []
        assert len(decoded.records) == message.records == mix.records_per_message
        body = json.loads(message.payload)
        kind = message.topic.split("/")[2]
        for record in body.get("batch", [body]):
            assert check_record(kind, record, now_ms()) is not None
            records += 1
    assert records == traffic.records


def test_floor_check_rejects_what_the_contract_rejects() -> None:
    now = now_ms()
    assert check_record("gas", {"ts": now, "lel_pct": 12.5, "temp_c": 20}, now) is not None
    assert check_record("gas", {"ts": now, "lel_pct": 100.5}, now) is None
    assert check_record("gas", {"ts": now, "temp_c": 20.0}, now) is None  # no lel_pct
    assert check_record("gas", {"ts": now + 301_000, "lel_pct": 1.0}, now) is None
    assert check_record("gas", {"ts": now - 36 * 86_400_000, "lel_pct": 1.0}, now) is None
    assert check_record("gas", {"ts": "2020-01-01T00:00:00", "lel_pct": 1.0}, now) is None
    assert check_record("meter", {"ts": now, "volume_m3": -1.0}, now) is None
    assert check_record("meter", {"ts": now, "volume_m3": 5, "flow_m3h": True}, now) is None
    assert check_record("station", {"ts": now, "heat_gj": 1.0}, now) is None  # not in the mixes


def test_node_red_flow_is_mqtt_function_join_influx_batch() -> None:
    nodes = {n["id"]: n for n in json.loads(flow("127.0.0.1", 1883, "127.0.0.1", 8086, "db"))}
    chain = ["peer-in", "peer-check", "peer-join", "peer-out"]
    types = ["mqtt in", "function", "join", "influxdb batch"]
    assert [nodes[i]["type"] for i in chain] == types
    for here, there in itertools.pairwise(chain):
        assert nodes[here]["wires"] == [[there]]
    assert nodes["peer-in"]["qos"] == "1"
    assert nodes["peer-broker"]["cleansession"] is False
    assert nodes["peer-join"]["count"] == str(JOIN_COUNT)
    assert nodes["peer-out"]["precision"] == "ms"
    code = function_code()
    assert "__" not in code
    assert all(field in code for fields in RANGES.values() for field in fields)


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.timeout(300)
def test_floor_and_lifeline_store_every_published_record(tmp_path: Path) -> None:
    require_binary(*MOSQUITTO_BINARIES)
    require_binary(*INFLUXD_BINARIES)
    counts = {MixName.GATEWAY: 30, MixName.ALARM: 1_500, MixName.METER: 25}
    results = run(
        list(counts),
        [VariantName.FLOOR, VariantName.LIFELINE],
        counts,
        tmp_path,
        MeasureOptions(publishers=2, stall_s=30, progress=False),
        meters=METERS,
    )
    assert [(r.mix, r.variant) for r in results] == [
        (mix.value, variant.value)
        for mix in counts
        for variant in (VariantName.FLOOR, VariantName.LIFELINE)
    ]
    for result in results:
        mix = MixName(result.mix)
        assert result.messages == counts[mix]
        assert result.records == counts[mix] * mix.records_per_message
        assert result.stored == result.records, result
        assert result.lost == result.duplicated == 0
        assert result.sums_match
        assert result.total_s >= result.publish_s > 0
