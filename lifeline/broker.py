"""The embedded MQTT broker: amqtt, run in its own process by ``lifeline up``.

Used when no ``--mqtt-url`` is given. It listens on loopback by default, keeps
persistent (clean_session=false) sessions for as long as the broker process lives, and
delivers QoS 1. Production uses Mosquitto or an EMQX cluster instead (docker-compose.yml).

Authentication and ACLs are on: the broker loads the files ``lifeline accounts`` writes
(``amqtt-passwd`` for amqtt's ``FileAuthPlugin``, ``amqtt-acl.json`` for its
``TopicAccessControlListPlugin``) and refuses anonymous clients. Only an explicit
development mode (``--dev`` / ``LIFELINE_DEV_MODE=1``) lets anyone in, as before.

Run alone: ``python -m lifeline.broker --port 1883 --accounts-dir data/broker`` (or
``--dev``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifeline.errors import ConfigError
from lifeline.logs import configure_logging
from lifeline.settings import load_settings

__all__ = ["BrokerAuth", "broker_config", "main", "serve"]

log = logging.getLogger(__name__)

_FILE_AUTH = "amqtt.plugins.authentication.FileAuthPlugin"
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


async def serve(host: str, port: int, stop: asyncio.Event, auth: BrokerAuth | None = None) -> None:
    """Run the broker until ``stop`` is set."""
    from amqtt.broker import Broker

    with warnings.catch_warnings():
        # amqtt 0.12 calls its dataclass subscribe ACL field `acl` and warns about it.
        warnings.filterwarnings("ignore", message="The 'acl' option is deprecated")
        broker = Broker(broker_config(host, port, auth))
        await broker.start()
    log.info(
        "broker_started",
        extra={"host": host, "port": port, "engine": "amqtt", "auth": auth is not None},
    )
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()
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
