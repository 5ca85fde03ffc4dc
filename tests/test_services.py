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


async def test_mosquitto_fixture_keeps_persistent_sessions_across_a_restart(
    mosquitto: MosquittoServer,
) -> None:
    """The drills and durability tests rely on it (a root-started Mosquitto that cannot
    write its persistence file silently forgets every queued message)."""
    async with aiomqtt.Client(
        mosquitto.host, mosquitto.port, identifier="t-durable", clean_session=False
    ) as sub:
        await sub.subscribe("d/#", qos=1)
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="t-pub2") as pub:
        for i in range(20):
            await pub.publish("d/x", str(i).encode(), qos=1)
    mosquitto.start()  # stop + start on the same port and persistence file
    received: list[bytes] = []
    async with aiomqtt.Client(
        mosquitto.host, mosquitto.port, identifier="t-durable", clean_session=False
    ) as sub:
        async for message in sub.messages:
            assert isinstance(message.payload, bytes)
            received.append(message.payload)
            if len(received) == 20:
                break
    assert received == [str(i).encode() for i in range(20)]
