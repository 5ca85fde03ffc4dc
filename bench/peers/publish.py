"""Publisher processes for the peer bench: fast, unpaced QoS 1 over plain paho.

Each of ``workers`` processes (``spawn``) builds its share of the mix's messages in
memory first (:func:`bench.peers.mixes.messages`), connects one paho client, signals
ready, and on ``go`` publishes them all at QoS 1 as fast as the broker acknowledges,
keeping up to ``window`` messages unacknowledged. It drives paho's loop itself, in one
thread (about 3x the rate of ``loop_start`` or aiomqtt on this machine). The shared
counter follows the records PUBACKed; each worker returns its :class:`bench.load.Tally`
the monotonic times (system-wide on Linux) of its first publish and last PUBACK, and
its own CPU seconds in between.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import queue
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.load import Tally
from bench.peers.mixes import PeerTraffic, messages

__all__ = ["PublishJob", "PublisherPool", "WorkerReport", "publish_one"]


@dataclass(frozen=True, slots=True)
class PublishJob:
    host: str
    port: int
    traffic: PeerTraffic
    worker: int
    workers: int
    window: int = 1000
    client_id: str = "peer-pub"


class WorkerReport(msgspec.Struct):
    tally: Tally
    first_publish: float
    last_ack: float
    cpu_s: float  # this process's CPU seconds from go to the last PUBACK


def _publish(job: PublishJob, acked: Synchronized[int], ready: Any, go: Any) -> WorkerReport:
    batch = list(messages(job.traffic, job.worker, job.workers))
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{job.client_id}-{job.worker}")
    client.max_inflight_messages_set(job.window)
    done = [0]

    def on_publish(*_: Any) -> None:
        done[0] += 1

    client.on_publish = on_publish
    client.connect(job.host, job.port, keepalive=60)
    while not client.is_connected():
        client.loop(timeout=0.05)
    ready.set()
    go.wait()
    tally = Tally()
    records = 0
    first = time.monotonic()
    cpu = time.process_time()
    for n, message in enumerate(batch):
        while n - done[0] >= job.window:
            client.loop(timeout=0.01)
        info = client.publish(message.topic, message.payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"publish failed: {mqtt.error_string(info.rc)}")
        tally.add(message.kind, message.records, message.checksum)
        records += message.records
        if n % 64 == 0:
            client.loop(timeout=0)
            acked.value = records - (n + 1 - done[0]) * job.traffic.mix.records_per_message
    while done[0] < len(batch):
        client.loop(timeout=0.01)
    last = time.monotonic()
    cpu = time.process_time() - cpu
    acked.value = records
    client.disconnect()
    return WorkerReport(tally, first, last, cpu)


def publish_one(host: str, port: int, topic: str, payload: bytes, timeout_s: float = 10.0) -> None:
    """Publish one message at QoS 1 and return once it is PUBACKed (the warm-up probe)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="peer-probe")
    client.connect(host, port, keepalive=60)
    deadline = time.monotonic() + timeout_s
    info = None
    while time.monotonic() < deadline:
        client.loop(timeout=0.05)
        if info is None and client.is_connected():
            info = client.publish(topic, payload, qos=1)
        if info is not None and info.is_published():
            break
    else:
        raise TimeoutError(f"no PUBACK for {topic} in {timeout_s} s")
    client.disconnect()


def worker_main(
    job: PublishJob,
    acked: Synchronized[int],
    ready: multiprocessing.synchronize.Event,
    go: multiprocessing.synchronize.Event,
    results: multiprocessing.Queue[bytes],
) -> None:
    """Entry point of one publisher process."""
    report = _publish(job, acked, ready, go)
    results.put(msgspec.msgpack.encode(report))


class PublisherPool:
    """Starts the publisher processes; :meth:`go`, :attr:`acked`, :meth:`results`."""

    def __init__(self, jobs: list[PublishJob]) -> None:
        context = multiprocessing.get_context("spawn")
        self._go = context.Event()
        self._ready = [context.Event() for _ in jobs]
        self._results: multiprocessing.Queue[bytes] = context.Queue()
        self._acked = [context.Value("q", 0) for _ in jobs]
        self._processes: list[Any] = [
            context.Process(
                target=worker_main,
                args=(job, acked, ready, self._go, self._results),
                name=f"peer-publisher-{job.worker}",
                daemon=True,
            )
            for job, acked, ready in zip(jobs, self._acked, self._ready, strict=True)
        ]
        for process in self._processes:
            process.start()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def wait_ready(self, timeout_s: float = 300.0) -> None:
        """Until every worker has built its messages and connected."""
        deadline = time.monotonic() + timeout_s
        for ready, process in zip(self._ready, self._processes, strict=True):
            while not ready.wait(0.5):
                if not process.is_alive():
                    raise RuntimeError(f"{process.name} exited with {process.exitcode}")
                if time.monotonic() > deadline:
                    raise TimeoutError("publishers not ready")

    def go(self) -> None:
        self._go.set()

    @property
    def acked(self) -> int:
        """Records PUBACKed so far (approximate while running, exact at the end)."""
        return sum(value.value for value in self._acked)

    def results(self, timeout_s: float) -> list[WorkerReport]:
        """Every worker's report (blocking)."""
        reports: list[WorkerReport] = []
        deadline = time.monotonic() + timeout_s
        while len(reports) < len(self._processes):
            try:
                raw = self._results.get(True, 1.0)
            except queue.Empty:
                failed = [p.name for p in self._processes if p.exitcode not in (None, 0)]
                if failed:
                    raise RuntimeError(f"publisher failed: {', '.join(failed)}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("publishers did not finish") from None
                continue
            reports.append(msgspec.msgpack.decode(raw, type=WorkerReport))
        for process in self._processes:
            process.join(10)
        return reports

    def terminate(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
                process.join(5)
