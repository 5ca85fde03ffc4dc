from __future__ import annotations

import pytest

from lifeline.core.errors import RejectError
from lifeline.core.topics import (
    RecordKind,
    alert_topic,
    gas_event_topic,
    gas_reading_topic,
    meter_reading_topic,
    parse_inbound,
    rejects_topic,
    station_topic,
)


def test_every_built_inbound_topic_parses_back_to_its_kind_and_ids() -> None:
    assert parse_inbound(gas_reading_topic("GAS-0001")).kind is RecordKind.GAS_READING
    assert parse_inbound(gas_event_topic("GAS-0001")).kind is RecordKind.GAS_EVENT
    meter = parse_inbound(meter_reading_topic("MTR-00000001"))
    assert (meter.kind, meter.source_id) == (RecordKind.METER_READING, "MTR-00000001")
    station = parse_inbound(station_topic("HEAT-001", "HEAT-001-S01"))
    assert station.kind is RecordKind.STATION_TELEMETRY
    assert (station.enterprise_id, station.source_id) == ("HEAT-001", "HEAT-001-S01")


def test_outbound_topics_follow_the_contract() -> None:
    assert alert_topic("critical", "GAS-0001") == "lifeline/v1/alerts/critical/GAS-0001"
    assert rejects_topic("gas-huarun") == "lifeline/v1/rejects/gas-huarun"


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("other/v1/gas/GAS-0001/reading", "bad_topic"),
        ("lifeline/v1/gas/GAS-0001/readings", "bad_topic"),
        ("lifeline/v1/gas/GAS-0001", "bad_topic"),
        ("lifeline/v1/heat/HEAT-001/telemetry", "bad_topic"),
        ("lifeline/v1/gas/-bad/reading", "bad_id"),
        ("lifeline/v1/gas/" + "A" * 65 + "/reading", "bad_id"),
        ("lifeline/v1/heat/HEAT 001/HEAT-001-S01/telemetry", "bad_id"),
    ],
)
def test_malformed_topics_are_rejected_with_a_reason(topic: str, reason: str) -> None:
    with pytest.raises(RejectError) as caught:
        parse_inbound(topic)
    assert caught.value.reason == reason


def test_a_custom_prefix_is_honoured() -> None:
    assert parse_inbound("city/x/gas/GAS-0001/reading", "city/x").source_id == "GAS-0001"
    with pytest.raises(RejectError):
        parse_inbound("lifeline/v1/gas/GAS-0001/reading", "city/x")
