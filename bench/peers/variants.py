"""The three consumers under test, each with its own fresh Mosquitto and InfluxDB.

Every variant gets the same services, started the same way (:mod:`bench.services`:
Mosquitto with persistent sessions and ``max_inflight_messages 1000``, Debian's
``influxd`` 1.x), on new ports and data, so no variant inherits another's data or
compactions:

- ``lifeline``: ``lifeline up --mqtt-url mqtt://... --no-simulate`` with
  ``LIFELINE_STORE=influx://HOST:PORT/lifeline`` (:class:`bench.stack.Stack`);
- ``node-red``: the flow of :mod:`bench.peers.nodered_flow` (:mod:`bench.peers.nodered`);
- ``floor``: ``python -m bench.peers.floor`` (:mod:`bench.peers.floor`).

:func:`start` yields a :class:`Running`: where to publish, which store URL to count
in, and the pids whose CPU is accounted (the consumer's process tree, the broker,
influxd).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bench.peers.nodered import run_node_red
from bench.services import run_influxdb, run_mosquitto
from bench.stack import Stack, StackOptions

__all__ = ["Running", "VariantName", "start"]


class VariantName(StrEnum):
    LIFELINE = "lifeline"
    NODE_RED = "node-red"
    FLOOR = "floor"

    @property
    def label(self) -> str:
        return {"lifeline": "Lifeline", "node-red": "Node-RED", "floor": "floor"}[self.value]


@dataclass(frozen=True, slots=True)
class Running:
    variant: VariantName
    mqtt: tuple[str, int]  # host, port
    store_url: str  # influx://HOST:PORT/DB
    consumer_pid: int
    broker_pid: int
    influxd_pid: int
    alive: Callable[[], bool]
    log: Path  # the consumer's output

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def start(
    variant: VariantName, workdir: Path, *, meters: int, node_red_dir: Path | None = None
) -> Iterator[Running]:
    """Start ``variant`` and its services under ``workdir``; stop them all on exit."""
    if variant is VariantName.LIFELINE:
        with _lifeline(workdir, meters) as running:
            yield running
        return
    with (
        run_mosquitto(workdir / "mosquitto") as mosquitto,
        run_influxdb(workdir / "influxdb") as influx,
    ):
        mqtt = (mosquitto.host, mosquitto.port)
        assert mosquitto.pid is not None
        assert influx.pid is not None
        if variant is VariantName.FLOOR:
            log = workdir / "floor.log"
            process_cm = _floor(log, mosquitto.url, influx.url, influx.database)
        else:
            if node_red_dir is None:
                raise ValueError("the node-red variant needs its install directory")
            log = workdir / "node-red" / "node-red.log"
            process_cm = run_node_red(
                node_red_dir,
                workdir / "node-red",
                mqtt,
                (influx.host, influx.port),
                influx.database,
            )
        with process_cm as process:
            yield Running(
                variant,
                mqtt,
                influx.store_url,
                process.pid,
                mosquitto.pid,
                influx.pid,
                lambda: process.poll() is None,
                log,
            )


@contextlib.contextmanager
def _lifeline(workdir: Path, meters: int) -> Iterator[Running]:
    options = StackOptions(workdir, broker="mosquitto", store="influx", meters=meters)
    with Stack(options) as stack:
        pids = stack.pids()
        up = stack.processes["up"].popen
        assert up is not None
        yield Running(
            VariantName.LIFELINE,
            (stack.mqtt.host, stack.mqtt.port),
            stack.store_url,
            pids["up"],
            pids["mosquitto"],
            pids["influxd"],
            lambda: up.poll() is None,
            workdir / "up.log",
        )


@contextlib.contextmanager
def _floor(log: Path, mqtt_url: str, influx_url: str, db: str) -> Iterator[subprocess.Popen[bytes]]:
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bench.peers.floor", "--mqtt", mqtt_url]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--influx", influx_url, "--db", db],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
