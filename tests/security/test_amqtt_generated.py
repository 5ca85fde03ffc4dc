"""The embedded amqtt broker (``python -m lifeline.broker``) with the generated files."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import aiomqtt
import pytest

from lifeline.broker import BrokerAuth, serve
from lifeline.core.errors import ConfigError
from tests.security.conftest import FOREIGN, OWN, Issued, connected, topics_until
from tests.services import free_port

REFUSED = 0x80


async def test_utility_cannot_publish_for_another_utilitys_device(
    amqtt_port: int, accounts: Issued
) -> None:
    pw = accounts.passwords
    async with connected(amqtt_port, "lifeline", pw["lifeline"], name="svc-1") as service:
        await service.subscribe("lifeline/v1/gas/+/reading", qos=1)
        async with connected(amqtt_port, "gas-huarun", pw["gas-huarun"], name="huarun-1") as u:
            await u.publish(FOREIGN, b'{"forged": true}', qos=1)
            await u.publish(OWN, b"{}", qos=1)
        assert await topics_until(service, OWN) == [OWN]


async def test_wrong_password_and_anonymous_are_refused(amqtt_port: int, accounts: Issued) -> None:
    with pytest.raises(aiomqtt.MqttError):
        async with connected(amqtt_port, "gas-huarun", "not-the-password", name="bad-1"):
            pass
    with pytest.raises(aiomqtt.MqttError):
        async with connected(amqtt_port, None, None, name="anon-1"):
            pass


async def test_utility_may_subscribe_only_to_its_own_rejects(
    amqtt_port: int, accounts: Issued
) -> None:
    pw = accounts.passwords
    async with connected(amqtt_port, "gas-huarun", pw["gas-huarun"], name="huarun-2") as utility:
        granted = await utility.subscribe(
            [
                ("#", 1),
                ("lifeline/v1/rejects/gas-ganghua", 1),
                ("lifeline/v1/rejects/+", 1),
                ("lifeline/internal/#", 1),
                ("lifeline/v1/rejects/gas-huarun", 1),
            ]
        )
        assert list(granted) == [REFUSED, REFUSED, REFUSED, REFUSED, 1]
        async with connected(amqtt_port, "lifeline", pw["lifeline"], name="svc-2") as service:
            await service.publish("lifeline/v1/rejects/gas-ganghua", b"secret", qos=1)
            await service.publish("lifeline/v1/rejects/gas-huarun", b"yours", qos=1)
        assert await topics_until(utility, "lifeline/v1/rejects/gas-huarun") == [
            "lifeline/v1/rejects/gas-huarun"
        ]


async def test_service_account_subscribes_to_every_inbound_filter(
    amqtt_port: int, accounts: Issued
) -> None:
    pw = accounts.passwords
    async with connected(amqtt_port, "lifeline", pw["lifeline"], name="svc-3") as service:
        granted = await service.subscribe(
            [
                ("lifeline/v1/gas/+/reading", 1),
                ("lifeline/v1/gas/+/event", 1),
                ("lifeline/v1/meter/+/reading", 1),
                ("lifeline/v1/heat/+/+/telemetry", 1),
                ("lifeline/internal/v1/records/0", 1),
            ]
        )
        assert list(granted) == [1, 1, 1, 1, 1]
        async with connected(amqtt_port, "heat-001", pw["heat-001"], name="heat-1") as heat:
            station = "lifeline/v1/heat/HEAT-001/HEAT-001-S01/telemetry"
            await heat.publish("lifeline/v1/heat/HEAT-002/HEAT-002-S01/telemetry", b"{}", qos=1)
            await heat.publish(station, b"{}", qos=1)
        assert await topics_until(service, station) == [station]


async def test_development_mode_alone_admits_anonymous_clients(tmp_path: Path) -> None:
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve("127.0.0.1", port, stop, auth=None))
    try:
        for _ in range(100):
            with contextlib.suppress(aiomqtt.MqttError):
                async with connected(port, None, None, name="anon-dev"):
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("dev-mode broker refused an anonymous client")
    finally:
        stop.set()
        await task
    with pytest.raises(ConfigError, match="lifeline accounts"):
        BrokerAuth.in_directory(tmp_path)  # no files and no --dev: refuse to start open


def test_acl_file_is_what_amqtt_loads(accounts: Issued) -> None:
    acl = json.loads(accounts.files.amqtt_acl.read_text())
    assert set(acl) == {"publish_acl", "acl"}  # the fields of amqtt 0.12's Config dataclass
    assert "#" not in [t for topics in acl["acl"].values() for t in topics]
