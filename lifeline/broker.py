"""The embedded MQTT broker: amqtt, run in its own process by ``lifeline up``.

Used when no ``--mqtt-url`` is given. It listens on loopback by default, keeps
persistent (clean_session=false) sessions for as long as the broker process lives, and
delivers QoS 1. Production uses Mosquitto or an EMQX cluster instead (docker-compose.yml).

Run alone: ``python -m lifeline.broker --host 127.0.0.1 --port 1883``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from lifeline.logs import configure_logging

__all__ = ["broker_config", "main", "serve"]

log = logging.getLogger(__name__)


def broker_config(host: str, port: int) -> dict[str, Any]:
    """amqtt configuration of the embedded broker (development mode: anonymous)."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}", "max_connections": 0}},
        "timeout_disconnect_delay": 0,
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


async def serve(host: str, port: int, stop: asyncio.Event) -> None:
    """Run the broker until ``stop`` is set."""
    from amqtt.broker import Broker

    broker = Broker(broker_config(host, port))
    await broker.start()
    log.info("broker_started", extra={"host": host, "port": port, "engine": "amqtt"})
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()
        log.info("broker_stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lifeline embedded MQTT broker (amqtt)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)

    async def _run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(args.host, args.port, stop)

    asyncio.run(_run())


if __name__ == "__main__":
    main()
