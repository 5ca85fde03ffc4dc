"""The embedded MQTT broker: amqtt, run on ``lifeline up``'s own event loop.

Used when no ``--mqtt-url`` is given. It listens on loopback by default, keeps
persistent (clean_session=false) sessions for as long as the process lives, and
delivers QoS 1. Production uses Mosquitto or an EMQX cluster instead (docker-compose.yml).

**Ingest in the publish path.** amqtt 0.12.1 sends a publisher's PUBACK before it has
delivered the message to any subscriber, keeps undelivered messages only in memory,
cancels a disconnected publisher's pending deliveries and drops a delivery that waits
more than 5 s for the subscriber's PUBACK: acknowledged data was lost. So with an
:class:`InboundGate` (``lifeline up`` passes the ingester's ``ingest.local.LocalInbox``)
an inbound contract PUBLISH that the publish ACL allows is first handed to the gate,
and amqtt's own flow (PUBACK, then delivery to any other subscriber) runs only once the
gate returns, i.e. once the records are durable. If the gate fails, the connection is
closed without a PUBACK and the publisher's session resends. The hook wraps each
connection's ``handle_publish`` (amqtt is pinned to 0.12.1 in pyproject.toml; the
tests in tests/e2e/test_acked_never_lost.py guard it on upgrades).

Authentication and ACLs are on: the broker loads the files ``lifeline accounts`` writes
(``amqtt-passwd`` for amqtt's ``FileAuthPlugin``, ``amqtt-acl.json`` for its
``TopicAccessControlListPlugin``) and refuses anonymous clients. Only an explicit
development mode (``--dev`` / ``LIFELINE_DEV_MODE=1``) lets anyone in, as before.

Run alone: ``python -m lifeline.broker --port 1883 --accounts-dir data/broker`` (or
``--dev``).

**Limits** (``lifeline.broker_guard``): a packet over 1 MiB is refused before
its body is read (the connection is closed, ``lifeline_broker_oversized_total``), the
password check runs off the event loop with a cache of verified credentials, and an
address with 5 failed CONNECTs in a minute is refused without hashing for a while. A
CONNECT is authenticated before its client id touches any session (amqtt would first
delete or replace the session of that id).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lifeline.core.errors import ConfigError
from lifeline.logs import configure_logging
from lifeline.settings import load_settings

__all__ = ["BrokerAuth", "InboundGate", "broker_config", "main", "serve"]

log = logging.getLogger(__name__)

_SHUTDOWN_S = 5.0


class InboundGate(Protocol):
    """Takes inbound contract messages inside the broker's publish handling."""

    def accepts(self, topic: str) -> bool:
        """Whether ``topic`` is one the gate takes (the others flow through amqtt)."""
        ...

    async def deliver(self, topic: str, payload: bytes, qos: int, publisher: str | None) -> None:
        """Return once the message is durable (QoS > 0); raise if it never will be."""
        ...


class _OneLine(logging.Filter):
    """amqtt logs a traceback for every failed delivery task (e.g. a subscriber that
    does not PUBACK within its 5 s): keep one line per event, the error in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_amqtt_logs() -> None:
    """One line per amqtt event, never a traceback flood (see :class:`_OneLine`)."""
    for name in ("amqtt", "amqtt.broker", "amqtt.mqtt.protocol.handler", "transitions"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OneLine) for f in logger.filters):
            logger.addFilter(_OneLine())
    logging.getLogger("transitions").setLevel(logging.WARNING)


_FILE_AUTH = "lifeline.broker_guard.OffLoopFileAuthPlugin"  # amqtt's FileAuthPlugin, hardened
_TOPIC_ACL = "amqtt.plugins.topic_checking.TopicAccessControlListPlugin"


@dataclass(frozen=True, slots=True)
class BrokerAuth:
    """The embedded broker's account files (written by ``lifeline accounts``)."""

    password_file: Path
    acl_file: Path

    @classmethod
    def in_directory(cls, directory: Path) -> BrokerAuth:
        auth = cls(directory / "amqtt-passwd", directory / "amqtt-acl.json")
        missing = [str(p) for p in (auth.password_file, auth.acl_file) if not p.is_file()]
        if missing:
            raise ConfigError(
                f"broker account files missing ({', '.join(missing)}): run `lifeline accounts` "
                "or start in development mode (--dev, LIFELINE_DEV_MODE=1)"
            )
        return auth


def broker_config(host: str, port: int, auth: BrokerAuth | None = None) -> dict[str, Any]:
    """amqtt configuration: ``auth`` None is development mode (anonymous, no ACL)."""
    plugins: dict[str, Any]
    if auth is None:
        plugins = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}
    else:
        acl = json.loads(auth.acl_file.read_text())
        plugins = {
            _FILE_AUTH: {"password_file": str(auth.password_file)},
            _TOPIC_ACL: {"publish_acl": acl["publish_acl"], "acl": acl["acl"]},
        }
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "timeout_disconnect_delay": 0,
        "plugins": plugins,
    }


def _guarded_broker_class() -> Any:
    """amqtt's ``Broker`` reading every connection through a :class:`PacketSizeLimit`."""
    from amqtt.broker import Broker

    from lifeline.broker_guard import MAX_PACKET_BYTES, PacketSizeLimit

    class GuardedBroker(Broker):  # type: ignore[misc]
        async def _client_connected(self, listener_name: str, reader: Any, writer: Any) -> None:
            peer = writer.get_peer_info()
            limited = PacketSizeLimit(
                reader, MAX_PACKET_BYTES, f"{peer[0]}:{peer[1]}" if peer else "?"
            )
            await super()._client_connected(listener_name, limited, writer)

        async def _initialize_client_session(
            self, reader: Any, writer: Any, remote_address: str, remote_port: int
        ) -> Any:
            """amqtt 0.12.1's, with authentication BEFORE the client id is looked at: amqtt
            deletes (clean session) or takes over the session of that id first, so a
            CONNECT with a wrong password could disconnect any client whose id it knew."""
            from amqtt.errors import AMQTTError, MQTTError
            from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
            from amqtt.utils import gen_client_id

            try:
                handler, client_session = await BrokerProtocolHandler.init_from_connect(
                    reader, writer, self.plugins_manager
                )
            except MQTTError:  # an invalid CONNECT (amqtt closes these too)
                await writer.close()
                raise
            if not await self._authenticate(client_session, None):
                handler.attach(client_session, reader, writer)
                await handler.mqtt_connack_authorize(False)
                await writer.close()
                raise AMQTTError(f"not authorized: {remote_address}:{remote_port}")
            if client_session.clean_session:
                if client_session.client_id:
                    await self._delete_session(client_session.client_id)
                else:
                    client_session.client_id = gen_client_id()
                client_session.parent = 0
            elif client_session.client_id in self._sessions:
                existing, _ = self._sessions[client_session.client_id]
                for name in ("will_flag", "will_message", "will_topic", "will_qos"):
                    setattr(existing, name, getattr(client_session, name))
                existing.keep_alive = client_session.keep_alive
                existing.username = client_session.username
                existing.password = client_session.password
                client_session = existing
                client_session.parent = 1
            else:
                client_session.parent = 0
            delay = self.config.get("timeout-disconnect-delay", 0)
            if client_session.keep_alive > 0 and isinstance(delay, int):
                client_session.keep_alive += delay
            return handler, client_session

    return GuardedBroker


def _gated_broker(config: dict[str, Any], gate: InboundGate) -> Any:
    """An amqtt ``Broker`` whose inbound contract PUBLISHes pass ``gate`` before PUBACK."""
    from amqtt.contexts import Action

    class GatedBroker(_guarded_broker_class()):  # type: ignore[misc]
        async def _initialize_client_session(self, *args: Any) -> Any:
            handler, session = await super()._initialize_client_session(*args)
            handle_publish = handler.handle_publish
            refused = [0]  # messages of this connection the gate could not take

            async def gated(packet: Any) -> None:
                topic, data = packet.topic_name, packet.data
                client = handler.session
                if (
                    topic is not None
                    and data is not None
                    and client is not None
                    and gate.accepts(topic)
                    and await self._topic_filtering(client, topic=topic, action=Action.PUBLISH)
                ):
                    try:
                        await gate.deliver(topic, bytes(data), packet.qos or 0, client.username)
                    except Exception as err:
                        refused[0] += 1
                        if refused[0] == 1:  # one line per connection, not per message
                            log.warning(
                                "broker_ingest_refused",
                                extra={"client_id": client.client_id, "error": repr(err)},
                            )
                            if handler.writer is not None:  # no PUBACK: the session resends
                                await handler.writer.close()
                        return
                await handle_publish(packet)

            handler.handle_publish = gated
            return handler, session

    return GatedBroker(config)


async def serve(
    host: str,
    port: int,
    stop: asyncio.Event,
    auth: BrokerAuth | None = None,
    gate: InboundGate | None = None,
    started: asyncio.Event | None = None,
) -> None:
    """Run the broker until ``stop`` is set (``started`` is set once it listens)."""
    quiet_amqtt_logs()
    config = broker_config(host, port, auth)
    with warnings.catch_warnings():
        # amqtt 0.12 calls its dataclass subscribe ACL field `acl` and warns about it.
        warnings.filterwarnings("ignore", message="The 'acl' option is deprecated")
        broker = _guarded_broker_class()(config) if gate is None else _gated_broker(config, gate)
        await broker.start()
    log.info(
        "broker_started",
        extra={
            "host": host,
            "port": port,
            "engine": "amqtt",
            "auth": auth is not None,
            "ingest_in_publish_path": gate is not None,
        },
    )
    if started is not None:
        started.set()
    try:
        await stop.wait()
    finally:
        try:
            # amqtt waits for its client tasks; never let a stuck client hold the stop
            await asyncio.wait_for(asyncio.shield(broker.shutdown()), _SHUTDOWN_S)
        except Exception as err:
            log.warning("broker_shutdown_incomplete", extra={"error": repr(err)})
        log.info("broker_stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="lifeline broker", description="Lifeline embedded MQTT broker (amqtt)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--accounts-dir",
        type=Path,
        help="directory written by `lifeline accounts` (default DATA_DIR/broker)",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        default=None,
        help="development mode: anonymous clients, no ACL (LIFELINE_DEV_MODE)",
    )
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    settings = load_settings(dev_mode=args.dev)
    auth = None
    if not settings.dev_mode:
        try:
            auth = BrokerAuth.in_directory(args.accounts_dir or settings.data_dir / "broker")
        except ConfigError as err:
            parser.error(str(err))

    async def _run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(args.host, args.port, stop, auth)

    asyncio.run(_run())


if __name__ == "__main__":
    main()
