"""The bare Python floor: a paho-mqtt subscriber that does only what storing needs.

    python -m bench.peers.floor --mqtt mqtt://HOST:PORT --influx http://HOST:PORT --db DB

One persistent session (fixed client id, ``clean_session=False``) subscribed at QoS 1
to ``lifeline/v1/#`` with manual acknowledgements. Each message: JSON decode (msgspec,
untyped), :func:`bench.peers.checks.check_record` per record, one line-protocol line per
valid record (measurement = topic kind, tag ``source_id``, float fields, ms precision).
Lines are written to InfluxDB (HTTP ``/write``, one keep-alive connection) when
:data:`BATCH_LINES` are buffered, :data:`ACK_EVERY` messages are waiting or the oldest
has waited :data:`LINGER_S`; only after InfluxDB answered 204 are those messages'
PUBACKs sent. A failed write is retried and nothing is acknowledged meanwhile. It
stops on SIGTERM after writing and acknowledging what it holds.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import re
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.peers.checks import check_record

__all__ = ["FloorSubscriber", "main"]

BATCH_LINES: Final = 5_000
ACK_EVERY: Final = 500  # half of Mosquitto's in-flight window to a subscriber (1,000)
LINGER_S: Final = 0.05
CLIENT_ID: Final = "peer-floor"
TOPIC_FILTER: Final = "lifeline/v1/#"
_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

log = logging.getLogger("bench.peers.floor")


class FloorSubscriber:
    """See the module docstring."""

    def __init__(self, mqtt_url: str, influx_url: str, database: str) -> None:
        broker = urlsplit(mqtt_url)
        influx = urlsplit(influx_url)
        self._broker = (broker.hostname or "127.0.0.1", broker.port or 1883)
        self._influx = (influx.hostname or "127.0.0.1", influx.port or 8086)
        self._write_path = "/write?" + urlencode({"db": database, "precision": "ms"})
        self._http = http.client.HTTPConnection(*self._influx, timeout=60)
        self._lines: list[str] = []
        self._pending: list[int] = []  # mids to acknowledge after the next write
        self._oldest = 0.0
        self._running = True
        self.rejected = 0
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=CLIENT_ID,
            clean_session=False,
            manual_ack=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message

    def stop(self) -> None:
        self._running = False

    def run(self) -> None:
        self._client.connect(*self._broker, keepalive=60)
        while self._running:
            self._client.loop(timeout=0.01)
            if self._pending and time.monotonic() - self._oldest >= LINGER_S:
                self._flush()
        self._flush()
        self._client.loop(timeout=0.1)
        self._client.disconnect()

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe(TOPIC_FILTER, qos=1)
        print("floor subscribed", flush=True)

    def _on_message(self, client: mqtt.Client, _: Any, message: mqtt.MQTTMessage) -> None:
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(message.mid)
        self._lines += self._encode(message.topic, message.payload)
        if len(self._lines) >= BATCH_LINES or len(self._pending) >= ACK_EVERY:
            self._flush()

    def _encode(self, topic: str, payload: bytes | bytearray) -> list[str]:
        parts = topic.split("/")
        if len(parts) != 5 or parts[4] != "reading" or not _ID.fullmatch(parts[3]):
            self.rejected += 1
            return []
        kind, source = parts[2], parts[3]
        try:
            body = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            self.rejected += 1
            return []
        records = body.get("batch") if isinstance(body, dict) and "batch" in body else [body]
        if not isinstance(records, list):
            self.rejected += 1
            return []
        now = int(time.time() * 1000)
        lines = []
        for record in records:
            checked = check_record(kind, record, now)
            if checked is None:
                self.rejected += 1
                continue
            ts, fields = checked
            body_text = ",".join(f"{name}={value!r}" for name, value in fields)
            lines.append(f"{kind},source_id={source} {body_text} {ts}")
        return lines

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._lines:
            self._write("\n".join(self._lines).encode())
        for mid in self._pending:
            self._client.ack(mid, 1)
        self._lines, self._pending = [], []

    def _write(self, body: bytes) -> None:
        delay = 0.1
        while True:
            try:
                self._http.request("POST", self._write_path, body)
                response = self._http.getresponse()
                text = response.read()
                if response.status == 204:
                    return
                log.warning("influx write: %s %s", response.status, text[:200])
            except (OSError, http.client.HTTPException) as error:
                log.warning("influx write failed: %s", error)
                self._http.close()
                self._http = http.client.HTTPConnection(*self._influx, timeout=60)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.floor")
    parser.add_argument("--mqtt", required=True, help="mqtt://HOST:PORT")
    parser.add_argument("--influx", required=True, help="http://HOST:PORT")
    parser.add_argument("--db", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    subscriber = FloorSubscriber(args.mqtt, args.influx, args.db)

    def on_term(signum: int, frame: FrameType | None) -> None:
        subscriber.stop()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    subscriber.run()
    print(f"floor stopped; {subscriber.rejected} records rejected", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
