"""The peer bench's three mixes: the same contract-valid messages for every variant.

- ``gateway``: a gas gateway's upload, ``{"batch": [...]}`` of 100 readings of one
  channel, one second apart (gateways and meter head-ends upload in batches);
- ``alarm``: one gas reading per message (alarm channels);
- ``meter``: one meter's day of 96 interval readings per upload
  (:class:`bench.load.LoadGenerator` with ``Mix(meter=1, meter_batch=96)``).

Message ``g`` of a run goes to publisher ``g % workers``, so the set of messages does
not depend on the number of publishers. Every record has its own (series, ts) and is
counted in the store by :class:`bench.store_probe.StoreProbe` (gas ``lel_pct``, meter
``volume_m3``); the readings stay clean (1-2 %LEL, no night flow), so no alert is
raised. :class:`PeerTraffic` is fixed once per mix and shared by every variant.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import msgspec

from bench.load import DAY_MS, Kind, LoadGenerator, Message, Mix, Traffic
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.core.topics import gas_reading_topic

__all__ = ["GATEWAY_BATCH", "METER_READINGS", "MixName", "PeerTraffic", "messages"]

GATEWAY_BATCH: Final = 100  # readings per gateway upload
METER_READINGS: Final = 96  # a day of 15-minute readings per meter upload
READING_STEP_MS: Final = 1_000  # a gas channel's readings are a second apart
_MARGIN_MS: Final = 600_000  # the newest reading is this far in the past at the start
_CITY_UTC_OFFSET_MS: Final = 8 * 3_600_000


class MixName(StrEnum):
    GATEWAY = "gateway"
    ALARM = "alarm"
    METER = "meter"

    @property
    def records_per_message(self) -> int:
        return {"gateway": GATEWAY_BATCH, "alarm": 1, "meter": METER_READINGS}[self.value]

    @property
    def label(self) -> str:
        return {
            "gateway": f"batches of {GATEWAY_BATCH} gas readings",
            "alarm": "one gas reading per message",
            "meter": f"meter day uploads ({METER_READINGS} readings)",
        }[self.value]


@dataclass(frozen=True, slots=True)
class PeerTraffic:
    """Ids and time bases of one mix's run (picklable: it goes to the publishers)."""

    mix: MixName
    messages: int
    channels: tuple[str, ...]
    meters: tuple[str, ...]
    base_ms: int  # ts of a gas channel's first reading
    meter_base_ms: int  # start of meter day 0

    @classmethod
    def of(cls, mix: MixName, messages: int, registry: Registry) -> PeerTraffic:
        channels = tuple(sorted(registry.channels))
        meters = tuple(sorted(registry.meters))
        now = now_ms()
        per_channel = -(-messages // len(channels)) * mix.records_per_message
        base_ms = now - _MARGIN_MS - per_channel * READING_STEP_MS
        if now - base_ms > 30 * DAY_MS:
            raise ValueError(f"{messages:,} messages span more than 30 days of readings")
        if mix is MixName.METER and messages > 30 * len(meters):
            raise ValueError("more than 30 days of meter uploads: use more meters")
        midnight = (now + _CITY_UTC_OFFSET_MS) // DAY_MS * DAY_MS - _CITY_UTC_OFFSET_MS
        return cls(mix, messages, channels, meters, base_ms, midnight - 31 * DAY_MS)

    @property
    def records(self) -> int:
        return self.messages * self.mix.records_per_message

    def share(self, worker: int, workers: int) -> int:
        """How many messages publisher ``worker`` of ``workers`` sends."""
        return len(range(worker, self.messages, workers))


def messages(traffic: PeerTraffic, worker: int, workers: int) -> Iterator[Message]:
    """Publisher ``worker``'s messages (``g = worker, worker + workers, ...``)."""
    count = traffic.share(worker, workers)
    if traffic.mix is MixName.METER:
        meter_traffic = Traffic(
            channels=traffic.channels,
            alarm_channels=(),
            stations=(),
            meters=traffic.meters,
            base_ms=traffic.base_ms,
            meter_base_ms=traffic.meter_base_ms,
        )
        mix = Mix(gas=0, event=0, station=0, meter=1, meter_batch=METER_READINGS)
        return itertools.islice(LoadGenerator(meter_traffic, mix, worker, workers), count)
    numbers = range(worker, traffic.messages, workers)
    if traffic.mix is MixName.GATEWAY:
        return (_gateway(traffic, g) for g in numbers)
    return (_alarm(traffic, g) for g in numbers)


def _gateway(traffic: PeerTraffic, g: int) -> Message:
    channels = traffic.channels
    upload = g // len(channels)  # the channel's how-manieth upload
    first = upload * GATEWAY_BATCH
    levels = [level(first + j) for j in range(GATEWAY_BATCH)]
    batch = [
        {"ts": traffic.base_ms + (first + j) * READING_STEP_MS, "lel_pct": value, "temp_c": 21.5}
        for j, value in enumerate(levels)
    ]
    topic = gas_reading_topic(channels[g % len(channels)])
    return Message(topic, msgspec.json.encode({"batch": batch}), Kind.GAS, len(batch), sum(levels))


def _alarm(traffic: PeerTraffic, g: int) -> Message:
    channels = traffic.channels
    n = g // len(channels)  # the channel's how-manieth reading
    value = level(n)
    body = {"ts": traffic.base_ms + n * READING_STEP_MS, "lel_pct": value, "temp_c": 21.5}
    topic = gas_reading_topic(channels[g % len(channels)])
    return Message(topic, msgspec.json.encode(body), Kind.GAS, 1, value)


def level(n: int) -> float:
    """Clean air with sensor jitter, 1.00-1.99 %LEL: never flat, never a fast rise."""
    return 1.0 + ((n * 7919) % 997) // 10 / 100
