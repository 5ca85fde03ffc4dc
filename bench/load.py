"""The benchmark's traffic: contract-valid payloads shaped like the city, and what was sent.

:class:`LoadGenerator` yields MQTT messages (topic, JSON payload, record count) in a
fixed :class:`Mix` of gas readings, gas heartbeat events, station telemetry and meter
batches (one meter's day of interval readings). Every record has its own (series, ts):
record ``seq`` of publisher ``w`` out of ``W`` gets the global sequence
``seq * W + w`` and, for gas and stations, the timestamp ``base_ms + global sequence``;
meter batch ``b`` covers day ``b // meters`` of its meter. So the stored count of each
series kind is exact and a duplicate or a loss shows.

:class:`Tally` is what was published: records per kind and the sum of one field per
kind (lel_pct, volume_m3, primary_supply_temp_c), compared with the store afterwards.
The alarm channels (the last ``alarm_channels`` gas channels) never get normal
traffic, so each injected alarm opens a new alert.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import msgspec

from lifeline.core.registry import Registry
from lifeline.core.topics import (
    gas_event_topic,
    gas_reading_topic,
    meter_reading_topic,
    station_topic,
)

__all__ = [
    "DAY_MS",
    "Kind",
    "LoadGenerator",
    "Message",
    "Mix",
    "Tally",
    "Traffic",
    "alarm_payload",
    "malformed_messages",
]

DAY_MS: Final = 86_400_000
GAS_CHANNELS: Final = 525


class Kind(StrEnum):
    """Kinds of records the bench publishes (``alarm`` = an injected lel_pct 60)."""

    GAS = "gas"
    EVENT = "event"
    STATION = "station"
    METER = "meter"


@dataclass(frozen=True, slots=True)
class Mix:
    """Messages per round of each kind; a meter message carries ``meter_batch`` records."""

    gas: int = 10
    event: int = 1
    station: int = 4
    meter: int = 1
    meter_batch: int = 48

    def __post_init__(self) -> None:
        if min(self.gas, self.event, self.station, self.meter) < 0:
            raise ValueError("mix counts must be >= 0")
        if self.gas + self.event + self.station + self.meter == 0:
            raise ValueError("the mix is empty")
        if not 1 <= self.meter_batch <= 1000:
            raise ValueError("meter_batch must be 1..1000 (the contract's batch limit)")

    @classmethod
    def parse(cls, text: str, meter_batch: int = 48) -> Mix:
        """``gas=10,event=1,station=4,meter=1`` (missing kinds: 0)."""
        counts = dict.fromkeys(("gas", "event", "station", "meter"), 0)
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name not in counts:
                raise ValueError(f"unknown kind {name!r} in mix {text!r}")
            counts[name] = int(value)
        return cls(meter_batch=meter_batch, **counts)

    @property
    def records_per_round(self) -> int:
        return self.gas + self.event + self.station + self.meter * self.meter_batch

    @property
    def messages_per_round(self) -> int:
        return self.gas + self.event + self.station + self.meter

    def rounds(self) -> Iterator[Kind]:
        """The kinds of one round, interleaved (not all meters at the end)."""
        counts = {Kind.GAS: self.gas, Kind.EVENT: self.event}
        counts |= {Kind.STATION: self.station, Kind.METER: self.meter}
        positions = sorted(
            ((i + 0.5) / count, kind.value, kind)
            for kind, count in counts.items()
            for i in range(count)
        )
        return itertools.cycle([kind for _, _, kind in positions])


class Tally(msgspec.Struct):
    """Records published per kind and the checksum field's sum per kind."""

    records: dict[str, int] = msgspec.field(default_factory=lambda: {k.value: 0 for k in Kind})
    sums: dict[str, float] = msgspec.field(default_factory=lambda: {k.value: 0.0 for k in Kind})
    messages: int = 0

    def add(self, kind: Kind, records: int, checksum: float) -> None:
        self.records[kind.value] = self.records.get(kind.value, 0) + records
        self.sums[kind.value] = self.sums.get(kind.value, 0.0) + checksum
        self.messages += 1

    def merge(self, other: Tally) -> None:
        for kind, count in other.records.items():
            self.records[kind] = self.records.get(kind, 0) + count
        for kind, total in other.sums.items():
            self.sums[kind] = self.sums.get(kind, 0.0) + total
        self.messages += other.messages

    @property
    def total(self) -> int:
        return sum(self.records.values())


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    kind: Kind
    records: int
    checksum: float  # sum of the kind's checksum field over the message's records


@dataclass(frozen=True, slots=True)
class Traffic:
    """The ids and time bases every publisher of one run shares."""

    channels: tuple[str, ...]  # normal gas traffic
    alarm_channels: tuple[str, ...]  # one injected alarm each
    stations: tuple[tuple[str, str], ...]  # (enterprise, station)
    meters: tuple[str, ...]
    base_ms: int  # ts of gas and station record 0
    meter_base_ms: int  # start of meter day 0

    @classmethod
    def of(
        cls, registry: Registry, *, base_ms: int, meter_base_ms: int, alarm_channels: int
    ) -> Traffic:
        channels = sorted(registry.channels)
        if not 0 <= alarm_channels < len(channels):
            raise ValueError(f"alarm_channels must be below {len(channels)}")
        split = len(channels) - alarm_channels
        stations = sorted((s.enterprise_id, s.id) for s in registry.stations.values())
        return cls(
            channels=tuple(channels[:split]),
            alarm_channels=tuple(channels[split:]),
            stations=tuple(stations),
            meters=tuple(sorted(registry.meters)),
            base_ms=base_ms,
            meter_base_ms=meter_base_ms,
        )


@dataclass
class LoadGenerator:
    """Messages of publisher ``worker`` of ``workers``; see the module docstring."""

    traffic: Traffic
    mix: Mix = field(default_factory=Mix)
    worker: int = 0
    workers: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.worker < self.workers:
            raise ValueError("need 0 <= worker < workers")
        self._kinds = self.mix.rounds()
        self._seq = 0  # gas, event and station records of this worker
        self._batch = 0  # meter batches of this worker
        interval = DAY_MS // self.mix.meter_batch
        self._offsets = [j * interval for j in range(self.mix.meter_batch)]
        hours = [offset / 3_600_000 for offset in self._offsets]
        self._use = [_USE_M3H.get(int(h), 0.0) * interval / 3_600_000 for h in hours]
        self._daily = sum(self._use)
        self._flow = [_USE_M3H.get(int(h), 0.0) for h in hours]

    def __iter__(self) -> Iterator[Message]:
        return self

    def __next__(self) -> Message:
        kind = next(self._kinds)
        if kind is Kind.METER:
            number = self._batch * self.workers + self.worker
            self._batch += 1
            return self._meter(number)
        number = self._seq * self.workers + self.worker
        self._seq += 1
        if kind is Kind.GAS:
            return self._gas(number)
        if kind is Kind.EVENT:
            return self._event(number)
        return self._station(number)

    def _gas(self, n: int) -> Message:
        channels = self.traffic.channels
        value = _gas_level(n)
        body = {"ts": self.traffic.base_ms + n, "lel_pct": value, "temp_c": 21.5}
        topic = gas_reading_topic(channels[n % len(channels)])
        return Message(topic, msgspec.json.encode(body), Kind.GAS, 1, value)

    def _event(self, n: int) -> Message:
        channels = self.traffic.channels
        body = {"ts": self.traffic.base_ms + n, "type": "heartbeat"}
        topic = gas_event_topic(channels[(n * 7) % len(channels)])
        return Message(topic, msgspec.json.encode(body), Kind.EVENT, 1, 0.0)

    def _station(self, n: int) -> Message:
        enterprise, station = self.traffic.stations[n % len(self.traffic.stations)]
        supply = 90 + (n % 100) / 10
        body = {
            "ts": self.traffic.base_ms + n,
            "primary_supply_temp_c": supply,
            "primary_return_temp_c": 48.0,
            "primary_supply_pressure_mpa": 0.9,
            "secondary_supply_temp_c": 50.0,
            "secondary_return_temp_c": 38.0,
            "secondary_supply_pressure_mpa": 0.45,
            "indoor_temp_c": 20 + (n % 20) / 10,
            "pump_running": True,
        }
        topic = station_topic(enterprise, station)
        return Message(topic, msgspec.json.encode(body), Kind.STATION, 1, supply)

    def _meter(self, n: int) -> Message:
        meters = self.traffic.meters
        meter = meters[n % len(meters)]
        day = n // len(meters)
        start = self.traffic.meter_base_ms + day * DAY_MS
        cumulative = itertools.accumulate(self._use, initial=100.0 + day * self._daily)
        volumes = [round(v, 4) for v in list(cumulative)[1:]]
        batch = [
            {"ts": start + offset, "volume_m3": volume, "flow_m3h": flow}
            for offset, volume, flow in zip(self._offsets, volumes, self._flow, strict=True)
        ]
        payload = msgspec.json.encode({"batch": batch})
        return Message(meter_reading_topic(meter), payload, Kind.METER, len(batch), sum(volumes))


# A household's day (local time, the meter day starts at local midnight): breakfast,
# lunch, dinner; nothing at night, so no leak or continuous-flow detector fires.
_USE_M3H: Final = {7: 0.6, 12: 0.5, 18: 0.8, 19: 0.4}


def _gas_level(n: int) -> float:
    """Clean air with sensor jitter: 1.00-1.99 %LEL, hardly ever the same value twice in
    a row on a channel (a flat line looks stuck) and never a fast rise."""
    return 1.0 + ((n * 7919) % 997) // 10 / 100


def alarm_payload(channel: str, ts_ms: int, lel_pct: float = 60.0) -> Message:
    """A reading over the critical set-point on ``channel``: one new alert."""
    body = msgspec.json.encode({"ts": ts_ms, "lel_pct": lel_pct})
    return Message(gas_reading_topic(channel), body, Kind.GAS, 1, lel_pct)


def malformed_messages(traffic: Traffic, base_ms: int) -> Iterator[tuple[str, bytes]]:
    """An endless flood of messages that are each rejected once, at message level:
    bad JSON, an unknown channel, lel_pct out of range, a missing ts."""
    channels: Sequence[str] = traffic.channels
    for n in itertools.count():
        channel = channels[n % len(channels)]
        match n % 4:
            case 0:
                yield gas_reading_topic(channel), b'{"ts": 1, "lel_pct": '
            case 1:
                body = {"ts": base_ms + n, "lel_pct": 1.0}
                yield gas_reading_topic(f"GAS-X{n % 9999:04d}"), msgspec.json.encode(body)
            case 2:
                body = {"ts": base_ms + n, "lel_pct": 150.0}
                yield gas_reading_topic(channel), msgspec.json.encode(body)
            case _:
                yield gas_reading_topic(channel), msgspec.json.encode({"lel_pct": 2.0})
