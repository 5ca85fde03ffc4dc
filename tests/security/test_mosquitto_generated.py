"""A real Mosquitto running the password file and ACL `lifeline accounts` GENERATED."""

from __future__ import annotations

import aiomqtt
import pytest

from tests.security.conftest import FOREIGN, OWN, Issued, SecureMosquitto, connected, topics_until

pytestmark = pytest.mark.services


async def test_utility_cannot_publish_for_another_utilitys_device(
    secure_mosquitto: SecureMosquitto, accounts: Issued
) -> None:
    port, pw = secure_mosquitto.server.port, accounts.passwords
    async with connected(port, "lifeline", pw["lifeline"], name="svc-1") as service:
        await service.subscribe("lifeline/v1/gas/+/reading", qos=1)
        async with connected(port, "gas-huarun", pw["gas-huarun"], name="huarun-1", v5=True) as u:
            await u.publish(FOREIGN, b'{"forged": true}', qos=1)
            await u.publish("lifeline/v1/alerts/critical/GAS-0002", b"forged", qos=1)
            await u.publish(OWN, b"{}", qos=1)
        assert await topics_until(service, OWN) == [OWN]


async def test_wrong_password_and_anonymous_are_refused(
    secure_mosquitto: SecureMosquitto, accounts: Issued
) -> None:
    port = secure_mosquitto.server.port
    with pytest.raises(aiomqtt.MqttError):
        async with connected(port, "gas-huarun", "not-the-password", name="bad-1"):
            pass
    with pytest.raises(aiomqtt.MqttError):
        async with connected(port, None, None, name="anon-1"):
            pass
    with pytest.raises(aiomqtt.MqttError):  # a password of one account is not another's
        async with connected(port, "gas-ganghua", accounts.passwords["gas-huarun"], name="x-1"):
            pass


async def test_utility_reads_nothing_but_its_own_rejects(
    secure_mosquitto: SecureMosquitto, accounts: Issued
) -> None:
    port, pw = secure_mosquitto.server.port, accounts.passwords
    own = "lifeline/v1/rejects/gas-huarun"
    async with connected(port, "gas-huarun", pw["gas-huarun"], name="huarun-2") as utility:
        # Mosquitto 2 grants these SUBSCRIBEs and then never delivers what the ACL denies.
        for pattern in ("#", "lifeline/v1/rejects/gas-ganghua", "lifeline/internal/#", own):
            await utility.subscribe(pattern, qos=1)
        async with connected(port, "lifeline", pw["lifeline"], name="svc-2") as service:
            for topic in (
                "lifeline/v1/rejects/gas-ganghua",
                "lifeline/internal/v1/records/3",
                "lifeline/v1/alerts/major/GAS-0001",
            ):
                await service.publish(topic, b"secret", qos=1)
            await service.publish(own, b"yours", qos=1)
        assert await topics_until(utility, own) == [own]


async def test_service_account_reads_inbound_and_shared_subscriptions(
    secure_mosquitto: SecureMosquitto, accounts: Issued
) -> None:
    port, pw = secure_mosquitto.server.port, accounts.passwords
    station = "lifeline/v1/heat/HEAT-001/HEAT-001-S01/telemetry"
    async with connected(port, "lifeline", pw["lifeline"], name="svc-3") as service:
        await service.subscribe("$share/lifeline-ingest/lifeline/v1/heat/+/+/telemetry", qos=1)
        await service.subscribe("lifeline/v1/meter/+/reading", qos=1)
        async with connected(port, "heat-001", pw["heat-001"], name="heat-1") as heat:
            await heat.publish(station, b"{}", qos=1)
        async with connected(port, "gas-huarun", pw["gas-huarun"], name="huarun-3") as gas:
            await gas.publish("lifeline/v1/meter/MTR-00000001/reading", b"{}", qos=1)
        seen = await topics_until(service, "lifeline/v1/meter/MTR-00000001/reading")
        assert station in seen


async def test_simulator_publishes_inbound_topics_but_reads_nothing(
    secure_mosquitto: SecureMosquitto, accounts: Issued
) -> None:
    port, pw = secure_mosquitto.server.port, accounts.passwords
    async with connected(port, "lifeline", pw["lifeline"], name="svc-4") as service:
        await service.subscribe("lifeline/v1/gas/+/event", qos=1)
        async with connected(port, "simulator", pw["simulator"], name="sim-1") as sim:
            await sim.subscribe("lifeline/v1/rejects/+", qos=1)
            await sim.publish("lifeline/v1/rejects/gas-huarun", b"forged", qos=1)
            await sim.publish("lifeline/v1/gas/GAS-0002/event", b"{}", qos=1)
            assert await topics_until(service, "lifeline/v1/gas/GAS-0002/event") == [
                "lifeline/v1/gas/GAS-0002/event"
            ]
