"""MqttNotifier against a real Mosquitto: topic, QoS 1, JSON AlertEvent."""

from __future__ import annotations

import asyncio

import aiomqtt
import msgspec

from alerts.notify_mqtt import MqttNotifier
from lifeline.core.payloads import AlertEvent
from tests.services import MosquittoServer

EVENT = AlertEvent(
    id=3,
    source_id="GAS-0001",
    source_kind="gas_channel",
    rule="gas_leak",
    severity="critical",
    state="active_unacked",
    message="GAS-0001: gas 60.0 %LEL",
    value=60.0,
    threshold=50.0,
    raised_at="2025-11-13T02:13:20.000Z",
    updated_at="2025-11-13T02:13:20.000Z",
    acked_by=None,
    note=None,
)


async def test_alert_event_is_published_as_json_at_qos_1_on_its_topic(
    mosquitto: MosquittoServer,
) -> None:
    async with (
        aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="sub") as sub,
        aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="pub") as pub,
    ):
        await sub.subscribe("test/v1/alerts/#", qos=1)
        await MqttNotifier(pub, prefix="test/v1").notify(EVENT)
        async with asyncio.timeout(5):
            message = await anext(sub.messages)
    assert str(message.topic) == "test/v1/alerts/critical/GAS-0001"
    assert message.qos == 1
    assert not message.retain
    assert isinstance(message.payload, bytes)
    assert msgspec.json.decode(message.payload, type=AlertEvent) == EVENT
