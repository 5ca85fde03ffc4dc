"""The production Mosquitto config and ACL template, run by a real Mosquitto.

The config is copied with its Debian paths pointed into a temporary directory and its
two listeners moved to free loopback ports; every other line is the shipped one.
"""

from __future__ import annotations

import getpass
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.deploy.files import DEPLOY
from tests.services import free_port, require_binary, wait_for_port

pytestmark = pytest.mark.services

PASSWORDS = {"lifeline": "pw-lifeline", "healthcheck": "pw-health", "gas-huarun": "pw-huarun"}

# The template's own example, uncommented: what `lifeline accounts` will generate.
UTILITY_BLOCK = """
user gas-huarun
topic write lifeline/v1/gas/GAS-0001/reading
topic write lifeline/v1/gas/GAS-0001/event
"""


@dataclass
class Broker:
    plain_port: int
    tls_port: int
    ca_file: Path


def _rewrite(conf: str, replacements: dict[str, str]) -> str:
    lines = conf.splitlines()
    for old, new in replacements.items():
        hits = [i for i, line in enumerate(lines) if line.split("#")[0].strip() == old]
        assert len(hits) == 1, f"expected exactly one {old!r} in mosquitto.conf"
        lines[hits[0]] = new
    return "\n".join(lines) + "\n"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "server.crt", directory / "server.key"
    openssl = require_binary("openssl")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto")
    passwd_tool = require_binary("mosquitto_passwd", "/usr/bin/mosquitto_passwd")
    work = tmp_path_factory.mktemp("mosquitto")
    passwd = work / "passwd"
    passwd.touch()
    for user, password in PASSWORDS.items():
        subprocess.run([passwd_tool, "-b", str(passwd), user, password], check=True)
    acl = work / "acl"
    acl.write_text((DEPLOY / "mosquitto" / "acl.template").read_text() + UTILITY_BLOCK)
    cert, key = _self_signed(work)
    (work / "data").mkdir()
    plain, tls = free_port(), free_port()
    conf = _rewrite(
        (DEPLOY / "mosquitto" / "mosquitto.conf").read_text(),
        {
            "password_file /etc/mosquitto/passwd": f"password_file {passwd}",
            "acl_file /etc/mosquitto/acl": f"acl_file {acl}",
            "persistence_location /var/lib/mosquitto/": f"persistence_location {work}/data/",
            "certfile /etc/mosquitto/certs/server.crt": f"certfile {cert}",
            "keyfile /etc/mosquitto/certs/server.key": f"keyfile {key}",
            "listener 8883": f"listener {tls} 127.0.0.1",
            "listener 1883": f"listener {plain} 127.0.0.1",
        },
    )
    # run as ourselves (mosquitto would otherwise drop root to the `mosquitto` user)
    (work / "mosquitto.conf").write_text(conf + f"user {getpass.getuser()}\n")
    log = (work / "mosquitto.log").open("wb")
    process = subprocess.Popen(
        [binary, "-c", str(work / "mosquitto.conf")], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(plain)
        wait_for_port(tls)
        yield Broker(plain, tls, cert)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@dataclass
class Session:
    """A paho MQTT 5 client with the broker's answers collected for assertions."""

    client: mqtt.Client
    connack: ReasonCode | None = None
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    acks: dict[int, list[Any]] = field(default_factory=dict)
    connected: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "broker did not answer"

    def subscribe(self, topic: str) -> ReasonCode:
        result, mid = self.client.subscribe(topic, qos=1)
        assert mid is not None, result
        self.wait_for(lambda: mid in self.acks)
        code: ReasonCode = self.acks[mid][0]
        return code

    def publish(self, topic: str, payload: bytes) -> ReasonCode:
        info = self.client.publish(topic, payload, qos=1)
        self.wait_for(lambda: info.mid in self.acks)
        code: ReasonCode = self.acks[info.mid][0]
        return code


@pytest.fixture
def connect(broker: Broker) -> Iterator[Any]:
    sessions: list[Session] = []

    def _connect(user: str | None, password: str | None, *, tls: bool = False) -> Session:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        session = Session(client)

        def on_connect(_c: Any, _u: Any, _f: Any, code: ReasonCode, _p: Any) -> None:
            session.connack = code
            session.connected.set()

        def on_ack(_c: Any, _u: Any, mid: int, codes: Any, _p: Any = None) -> None:
            with session.changed:
                session.acks[mid] = codes if isinstance(codes, list) else [codes]
                session.changed.notify_all()

        def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
            with session.changed:
                session.messages.append((msg.topic, bytes(msg.payload)))
                session.changed.notify_all()

        client.on_connect = on_connect
        client.on_subscribe = on_ack
        client.on_publish = on_ack
        client.on_message = on_message
        if user is not None:
            client.username_pw_set(user, password)
        port = broker.plain_port
        if tls:
            client.tls_set(ca_certs=str(broker.ca_file), cert_reqs=ssl.CERT_REQUIRED)
            port = broker.tls_port
        client.connect("127.0.0.1", port, keepalive=10)
        client.loop_start()
        sessions.append(session)
        assert session.connected.wait(5), "no CONNACK"
        return session

    yield _connect
    for session in sessions:
        session.client.disconnect()
        session.client.loop_stop()


def test_anonymous_and_wrong_password_are_refused(connect: Any) -> None:
    assert connect(None, None).connack.is_failure
    assert connect("lifeline", "not-the-password").connack.is_failure
    assert not connect("lifeline", PASSWORDS["lifeline"]).connack.is_failure


def _delivered(receiver: Session, sender: Session, topics: list[str]) -> list[str]:
    """Topics of ``topics`` the broker delivers to ``receiver`` (already subscribed).

    Mosquitto 2.0 grants every SUBSCRIBE and applies the ACL per message, so absence is
    observed by sending an allowed sentinel last: one publisher's messages keep order.
    """
    sentinel = topics[-1]
    for topic in topics:
        assert not sender.publish(topic, b"m").is_failure, topic
    receiver.wait_for(lambda: any(t == sentinel for t, _ in receiver.messages))
    return [t for t, _ in receiver.messages]


def test_healthcheck_account_reads_broker_uptime_and_nothing_else(connect: Any) -> None:
    health = connect("healthcheck", PASSWORDS["healthcheck"])
    health.subscribe("$SYS/broker/uptime")
    health.wait_for(lambda: any(t == "$SYS/broker/uptime" for t, _ in health.messages))
    health.subscribe("lifeline/v1/#")
    health.messages.clear()
    service = connect("lifeline", PASSWORDS["lifeline"])
    service.publish("lifeline/v1/alerts/major/GAS-0001", b"a")
    # the broker routes a message before it acknowledges it; give delivery a moment
    time.sleep(0.5)
    assert health.messages == []


def test_utility_publishes_only_for_its_own_devices(connect: Any) -> None:
    ingest = connect("lifeline", PASSWORDS["lifeline"])
    assert not ingest.subscribe("$share/lifeline-ingest/lifeline/v1/gas/+/reading").is_failure
    utility = connect("gas-huarun", PASSWORDS["gas-huarun"])
    assert not utility.publish("lifeline/v1/gas/GAS-0001/reading", b"own").is_failure
    assert utility.publish("lifeline/v1/gas/GAS-0002/reading", b"foreign").is_failure
    assert utility.publish("lifeline/v1/alerts/critical/GAS-0001", b"forged").is_failure
    ingest.wait_for(lambda: len(ingest.messages) >= 1)
    assert ingest.messages == [("lifeline/v1/gas/GAS-0001/reading", b"own")]


def test_utility_reads_only_its_own_rejects(connect: Any) -> None:
    utility = connect("gas-huarun", PASSWORDS["gas-huarun"])
    for topic in ("lifeline/v1/rejects/+", "lifeline/v1/alerts/#", "lifeline/internal/#"):
        utility.subscribe(topic)
    service = connect("lifeline", PASSWORDS["lifeline"])
    forbidden = [
        "lifeline/v1/rejects/gas-ganghua",
        "lifeline/v1/alerts/critical/GAS-0001",
        "lifeline/internal/v1/records/3",
    ]
    own = "lifeline/v1/rejects/gas-huarun"
    assert _delivered(utility, service, [*forbidden, own]) == [own]


def test_service_account_uses_its_internal_and_alert_topics(connect: Any) -> None:
    service = connect("lifeline", PASSWORDS["lifeline"])
    assert not service.subscribe("lifeline/internal/v1/records/0").is_failure
    assert not service.publish("lifeline/internal/v1/records/0", b"r").is_failure
    assert not service.publish("lifeline/v1/alerts/major/GAS-0001", b"a").is_failure
    # it never impersonates a device
    assert service.publish("lifeline/v1/gas/GAS-0001/reading", b"x").is_failure


def test_tls_listener_serves_the_mounted_certificate(connect: Any) -> None:
    session = connect("gas-huarun", PASSWORDS["gas-huarun"], tls=True)
    assert not session.connack.is_failure
    assert not session.publish("lifeline/v1/gas/GAS-0001/event", b"tls").is_failure


def test_payload_limit_is_the_contracts_256_kib(connect: Any) -> None:
    ingest = connect("lifeline", PASSWORDS["lifeline"])
    ingest.subscribe("lifeline/v1/gas/+/reading")
    oversized = connect("gas-huarun", PASSWORDS["gas-huarun"])
    oversized.client.publish("lifeline/v1/gas/GAS-0001/reading", b"x" * (256 * 1024 + 1))
    utility = connect("gas-huarun", PASSWORDS["gas-huarun"])
    assert not utility.publish("lifeline/v1/gas/GAS-0001/reading", b"y" * 256 * 1024).is_failure
    ingest.wait_for(lambda: len(ingest.messages) >= 1)
    time.sleep(0.3)
    assert [len(payload) for _, payload in ingest.messages] == [256 * 1024]
