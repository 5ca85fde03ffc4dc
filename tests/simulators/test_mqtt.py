"""Publishing through a real Mosquitto with MqttPublisher (QoS 1)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt

from lifeline.core.timeutil import now_ms
from lifeline.core.topics import inbound_filters
from lifeline.settings import Settings
from simulators.clock import SteppedClock
from simulators.publish import BrokerAddress, MqttPublisher, parse_mqtt_url
from simulators.runner import Simulation, SimulationConfig, run_simulation
from tests.services import MosquittoServer
from tests.simulators.helpers import START_MS, decode, small_registry


async def _count_until(sub: aiomqtt.Client, expected: int, timeout_s: float) -> list[str]:
    topics: list[str] = []

    async def read() -> None:
        async for message in sub.messages:
            assert isinstance(message.payload, bytes)
            decode(message.topic.value, message.payload)
            topics.append(message.topic.value)
            if len(topics) >= expected:
                return

    await asyncio.wait_for(read(), timeout_s)
    return topics


async def test_simulation_publishes_every_message_through_mosquitto(
    mosquitto: MosquittoServer,
) -> None:
    registry = small_registry(meters=0)
    config = SimulationConfig(duration_s=30 * 60)
    simulation = Simulation(registry, config, SteppedClock(START_MS))
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="sim-sub") as sub:
        for topic_filter in inbound_filters():
            await sub.subscribe(topic_filter, qos=1)
        address = parse_mqtt_url(mosquitto.url)
        async with MqttPublisher(address, max_inflight=50) as publisher:
            stats = await simulation.run(publisher)
        assert publisher.published == stats.total
        topics = await _count_until(sub, stats.total, timeout_s=20)
    assert len(topics) == stats.total
    # 3 channels (30-60 s) and 4 stations (60 s) over 30 minutes
    assert stats.messages["heat/telemetry"] >= 4 * 29
    assert stats.messages["gas/reading"] >= 3 * 29
    assert {t.split("/")[4] for t in topics if "/heat/" in t} == {
        "HEAT-001-S01",
        "HEAT-001-S02",
        "HEAT-002-S01",
        "HEAT-002-S02",
    }


async def test_publisher_reconnects_after_broker_restart_and_delivers_later_messages(
    mosquitto: MosquittoServer,
) -> None:
    address = BrokerAddress(mosquitto.host, mosquitto.port)
    async with MqttPublisher(address, timeout_s=2.0, max_backoff_s=0.5) as publisher:
        await publisher.publish("lifeline/v1/gas/GAS-0001/reading", b'{"ts":1,"lel_pct":1.0}')
        await publisher.flush()
        await asyncio.to_thread(mosquitto.start)  # stop + start on the same port
        async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="re-sub") as sub:
            await sub.subscribe("lifeline/v1/#", qos=1)
            for n in range(20):
                await publisher.publish(
                    "lifeline/v1/gas/GAS-0001/reading", f'{{"ts":{n + 2},"lel_pct":1.0}}'.encode()
                )
            await publisher.flush()
            seen: set[bytes] = set()

            async def read() -> None:
                async for message in sub.messages:
                    assert isinstance(message.payload, bytes)
                    seen.add(message.payload)
                    if len(seen) >= 20:
                        return

            await asyncio.wait_for(read(), 20)
    assert publisher.reconnects >= 1
    assert len(seen) == 20


async def test_a_slow_publisher_resends_at_its_next_publish_not_at_flush(
    mosquitto: MosquittoServer,
) -> None:
    """An alarm every few seconds never fills a window of 50: a message published on a
    connection the broker restart broke must still be resent by the following publishes,
    not held until ``flush`` (the drills saw alarms arrive ~55 s late)."""
    address = BrokerAddress(mosquitto.host, mosquitto.port)
    topic = "lifeline/v1/gas/GAS-0001/reading"
    async with MqttPublisher(
        address, client_id="slow-pub", max_inflight=50, max_backoff_s=0.5, clean_session=False
    ) as publisher:
        await publisher.publish(topic, b'{"ts":1,"lel_pct":1.0}')
        await publisher.flush()
        await asyncio.to_thread(mosquitto.start)  # stop + start on the same port
        async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="slow-sub") as sub:
            await sub.subscribe("lifeline/v1/#", qos=1)
            seen: set[bytes] = set()

            async def read() -> None:
                async for message in sub.messages:
                    assert isinstance(message.payload, bytes)
                    seen.add(message.payload)

            reader = asyncio.create_task(read())
            try:
                for n in range(2, 40):  # at most 38 in flight: the window never fills
                    await publisher.publish(topic, f'{{"ts":{n},"lel_pct":1.0}}'.encode())
                    if b'{"ts":2,"lel_pct":1.0}' in seen:
                        break
                    await asyncio.sleep(0.5)
            finally:
                reader.cancel()
    assert b'{"ts":2,"lel_pct":1.0}' in seen, "resent only at flush"
    assert publisher.reconnects >= 1


def test_mqtt_url_carries_credentials_and_port() -> None:
    address = parse_mqtt_url("mqtt://sim%40x:p%3Ass@broker.local:2883")
    assert address == BrokerAddress("broker.local", 2883, "sim@x", "p:ss")
    assert parse_mqtt_url("mqtt://h").port == 1883


async def test_run_simulation_over_settings_broker_and_wall_clock_stamps_nothing_ahead(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto.url)
    async with aiomqtt.Client(mosquitto.host, mosquitto.port, identifier="cli-sub") as sub:
        for topic_filter in inbound_filters():
            await sub.subscribe(topic_filter, qos=1)
        stats = await run_simulation(
            settings,
            duration_s=600,
            speed=12_000,  # ten simulated minutes in ~50 ms of wall time
            registry=small_registry(meters=0),
            scenarios=["detector_offline:GAS-0001@+1m~forever"],
        )
        topics = await _count_until(sub, stats.total, timeout_s=20)
    assert stats.total == len(topics) >= 40
    assert stats.last_ts_ms is not None
    assert stats.last_ts_ms <= now_ms()
    truth = (tmp_path / "ground_truth.jsonl").read_text()
    assert '"source_id":"GAS-0001"' in truth
