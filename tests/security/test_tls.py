"""mqtts://: services verify the broker's certificate and connect over TLS (8883)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import aiomqtt
import pytest
from prometheus_client import CollectorRegistry

from ingest import BatchConfig, IngestMetrics, IngestService, MqttConfig
from lifeline.core.errors import ConfigError
from lifeline.core.timeutil import now_ms
from lifeline.mqtt import BrokerAddress, parse_mqtt_url
from lifeline.settings import Settings
from store import SqliteDeadLetterStore, SqliteTelemetryStore
from tests.ingest.test_service import RecordingSink, eventually
from tests.security.conftest import OWN, Issued, SecureMosquitto

pytestmark = pytest.mark.services


def test_mqtts_urls_carry_tls_and_the_ca_file() -> None:
    address = parse_mqtt_url("mqtts://lifeline:p%40ss@mqtt.example?ca_file=/etc/ca.pem")
    assert address == BrokerAddress("mqtt.example", 8883, "lifeline", "p@ss", True, "/etc/ca.pem")
    assert parse_mqtt_url("mqtt://h").tls is False
    with pytest.raises(ConfigError):
        parse_mqtt_url("mqtt://h?ca_file=/x")  # a CA without TLS is a mistake
    settings = Settings(mqtt_url="mqtts://h:8884?ca_file=/ca.pem", mqtt_username="lifeline")
    config = MqttConfig.from_settings(settings)
    assert (config.port, config.tls, config.ca_file, config.username) == (
        8884, True, "/ca.pem", "lifeline",
    )  # fmt: skip


async def test_ingester_consumes_over_tls_with_its_service_account(
    secure_mosquitto: SecureMosquitto, accounts: Issued, tmp_path: Path
) -> None:
    url = f"mqtts://127.0.0.1:{secure_mosquitto.tls_port}?ca_file={secure_mosquitto.ca_file}"
    address = parse_mqtt_url(url)
    mqtt = MqttConfig(
        address.host,
        address.port,
        "lifeline",
        accounts.passwords["lifeline"],
        client_id="ingest-tls",
        tls=address.tls,
        ca_file=address.ca_file,
    )
    telemetry = SqliteTelemetryStore(tmp_path / "telemetry.db")
    dead_letters = SqliteDeadLetterStore(tmp_path / "lifeline.db")
    sink = RecordingSink()
    service = IngestService(
        mqtt,
        accounts.registry,
        telemetry,
        dead_letters,
        sink,
        batch=BatchConfig(max_records=10, flush_ms=20),
        metrics=IngestMetrics(CollectorRegistry()),
    )
    task = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.ready.wait(), 10)
        utility = replace_credentials(address, "gas-huarun", accounts.passwords["gas-huarun"])
        async with aiomqtt.Client(
            utility.host,
            utility.port,
            username=utility.username,
            password=utility.password,
            tls_context=utility.tls_context(),
        ) as client:
            await client.publish(OWN, json.dumps({"ts": now_ms(), "lel_pct": 1.0}), qos=1)
        await eventually(lambda: len(sink.records) == 1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await telemetry.close()
        await dead_letters.close()


async def test_a_broker_certificate_from_an_unknown_ca_is_refused(
    secure_mosquitto: SecureMosquitto, accounts: Issued
) -> None:
    system_cas = BrokerAddress("127.0.0.1", secure_mosquitto.tls_port, tls=True)
    with pytest.raises(aiomqtt.MqttError) as caught:
        async with aiomqtt.Client(
            system_cas.host,
            system_cas.port,
            username="lifeline",
            password=accounts.passwords["lifeline"],
            tls_context=system_cas.tls_context(),
            timeout=5,
        ):
            pass
    assert "CERTIFICATE_VERIFY_FAILED" in repr(caught.value) + repr(caught.value.__cause__)


def replace_credentials(address: BrokerAddress, user: str, password: str) -> BrokerAddress:
    return BrokerAddress(address.host, address.port, user, password, address.tls, address.ca_file)
