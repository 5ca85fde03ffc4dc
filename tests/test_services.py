from __future__ import annotations

import aiomqtt

from tests.services import MosquittoServer


async def test_mosquitto_fixture_round_trips_a_qos1_message(mosquitto: MosquittoServer) -> None:
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="t-sub") as sub:
        await sub.subscribe("t/#", qos=1)
        async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="t-pub") as pub:
            await pub.publish("t/x", b"hello", qos=1)
        async for message in sub.messages:
            assert message.topic.value == "t/x"
            assert message.payload == b"hello"
            break
