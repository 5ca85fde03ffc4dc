"""Injectable faults ("scenarios"), their command-line syntax and their ground truth.

A scenario names a fault kind, a target source, a start offset from the beginning of
the run and a duration. Models ask a resolved :class:`Scenario` whether it is active at
an instant and read its numeric parameters; the runner writes one :class:`GroundTruth`
line per scenario when its start is reached.

Syntax (``parse_scenario``)::

    KIND[:TARGET][@+OFFSET][~DURATION][,NAME=VALUE]...

    gas_leak_ramp:GAS-0042@+10m
    sensor_drift:GAS-0007@+5m~6h,rate_pct_per_h=4
    enterprise_stops_sending@+1h30m~forever        (target chosen by seed)

OFFSET and DURATION are numbers with an optional unit ``d``/``h``/``m``/``s`` (default
s), combinable (``1h30m``); DURATION ``forever`` lasts to the end of the run; no
DURATION means the kind's default. Kinds, their target, default duration and
parameters are listed in :data:`KINDS`.
"""

from __future__ import annotations

import enum
import math
import random
import re
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

import msgspec

from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind

__all__ = [
    "KINDS",
    "GroundTruth",
    "KindInfo",
    "Scenario",
    "ScenarioKind",
    "ScenarioSpec",
    "SourcePool",
    "default_scenarios",
    "parse_duration",
    "parse_scenario",
    "resolve_scenarios",
]


class ScenarioKind(enum.StrEnum):
    GAS_LEAK_RAMP = "gas_leak_ramp"
    SENSOR_DRIFT = "sensor_drift"
    STUCK_SENSOR = "stuck_sensor"
    DETECTOR_OFFLINE = "detector_offline"
    METER_CONTINUOUS_FLOW = "meter_continuous_flow"
    STATION_PIPE_BURST = "station_pipe_burst"
    UNDER_HEATING = "under_heating"
    ENTERPRISE_STOPS_SENDING = "enterprise_stops_sending"


class KindInfo(NamedTuple):
    """What a scenario kind targets, what it breaks and which rule should fire."""

    target: SourceKind
    fault: str
    expected_rule: str
    default_duration_s: float
    params: Mapping[str, float]


_H: Final = 3600.0
_M: Final = 60.0

# expected_rule = the rule of alerts/default_rules.yaml that should fire.
KINDS: Final[Mapping[ScenarioKind, KindInfo]] = {
    ScenarioKind.GAS_LEAK_RAMP: KindInfo(
        SourceKind.GAS_CHANNEL,
        "gas_leak",
        "gas_leak",
        30 * _M,
        {"peak_pct": 60.0, "ramp_s": 240.0},
    ),
    ScenarioKind.SENSOR_DRIFT: KindInfo(
        SourceKind.GAS_CHANNEL, "sensor_drift", "gas_leak", 24 * _H, {"rate_pct_per_h": 1.0}
    ),
    ScenarioKind.STUCK_SENSOR: KindInfo(
        SourceKind.GAS_CHANNEL, "stuck_sensor", "gas_stuck", 3 * _H, {}
    ),
    ScenarioKind.DETECTOR_OFFLINE: KindInfo(
        SourceKind.GAS_CHANNEL, "offline", "gas_offline", 1 * _H, {}
    ),
    ScenarioKind.METER_CONTINUOUS_FLOW: KindInfo(
        SourceKind.METER,
        "continuous_flow",
        "meter_continuous_flow",
        12 * _H,
        {"flow_m3h": 0.12, "alarm_after_h": 6.0},
    ),
    ScenarioKind.STATION_PIPE_BURST: KindInfo(
        SourceKind.STATION,
        "pipe_burst",
        "station_primary_pressure_low",
        30 * _M,
        {"pressure_mpa": 0.25, "drop_s": 45.0, "makeup_t_h": 12.0},
    ),
    ScenarioKind.UNDER_HEATING: KindInfo(
        SourceKind.STATION,
        "under_heating",
        "station_underheating",
        2 * _H,
        {"indoor_c": 16.0, "deficit_c": 12.0},
    ),
    ScenarioKind.ENTERPRISE_STOPS_SENDING: KindInfo(
        SourceKind.ENTERPRISE, "data_interruption", "enterprise_offline", 1 * _H, {}
    ),
}


class ScenarioSpec(msgspec.Struct, frozen=True):
    """A scenario as asked for: target ``None`` = chosen by seed, duration ``None`` =
    the kind's default, ``math.inf`` = until the end of the run."""

    kind: ScenarioKind
    target: str | None = None
    offset_s: float = 0.0
    duration_s: float | None = None
    params: dict[str, float] = {}


class Scenario(msgspec.Struct, frozen=True):
    """A resolved scenario: concrete target and absolute times (``end_ms`` None = open)."""

    kind: ScenarioKind
    source_id: str
    start_ms: int
    end_ms: int | None
    params: dict[str, float]

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]

    def active(self, ts_ms: int) -> bool:
        return ts_ms >= self.start_ms and (self.end_ms is None or ts_ms < self.end_ms)

    def param(self, name: str) -> float:
        value = self.params.get(name)
        return self.info.params[name] if value is None else value

    def ground_truth(self) -> GroundTruth:
        return GroundTruth(
            scenario=self.kind.value,
            source_id=self.source_id,
            source_kind=self.info.target.value,
            fault=self.info.fault,
            start_ts_ms=self.start_ms,
            end_ts_ms=self.end_ms,
            expected_rule=self.info.expected_rule,
        )


class GroundTruth(msgspec.Struct, frozen=True):
    """One line of the ground-truth file (``end_ts_ms`` null = lasted to the run's end)."""

    scenario: str
    source_id: str
    source_kind: str
    fault: str
    start_ts_ms: int
    end_ts_ms: int | None
    expected_rule: str


class SourcePool(msgspec.Struct, frozen=True):
    """Ids that are being simulated, per target kind (sorted)."""

    channels: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()
    enterprises: tuple[str, ...] = ()
    meters: tuple[str, ...] = ()

    def ids(self, kind: SourceKind) -> tuple[str, ...]:
        return {
            SourceKind.GAS_CHANNEL: self.channels,
            SourceKind.STATION: self.stations,
            SourceKind.ENTERPRISE: self.enterprises,
            SourceKind.METER: self.meters,
        }[kind]


_DURATION = re.compile(r"(\d+(?:\.\d*)?)([dhms]?)")
_UNITS: Final = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}
_SPEC = re.compile(
    r"^(?P<kind>[a-z_]+)"
    r"(?::(?P<target>[A-Za-z0-9][A-Za-z0-9_-]{0,63}))?"
    r"(?:@\+?(?P<offset>[0-9.dhms]+))?"
    r"(?:~(?P<duration>[0-9.dhms]+|forever))?"
    r"(?P<params>(?:,[a-z_]+=[-+0-9.eE]+)*)$"
)


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``10m``, ``1h30m``, ``2d``."""
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None:
            raise ConfigError(f"bad duration {text!r} (use e.g. 90s, 10m, 1h30m, 2d)")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise ConfigError("empty duration")
    return total


def parse_scenario(text: str) -> ScenarioSpec:
    """Parse ``KIND[:TARGET][@+OFFSET][~DURATION][,NAME=VALUE]...`` (module docstring)."""
    match = _SPEC.match(text.strip())
    if match is None:
        raise ConfigError(f"bad scenario {text!r}: expected KIND[:TARGET][@+OFFSET][~DURATION]")
    try:
        kind = ScenarioKind(match["kind"])
    except ValueError:
        known = ", ".join(k.value for k in ScenarioKind)
        raise ConfigError(f"unknown scenario kind {match['kind']!r} (known: {known})") from None
    params: dict[str, float] = {}
    for pair in filter(None, match["params"].split(",")):
        name, _, value = pair.partition("=")
        if name not in KINDS[kind].params:
            allowed = ", ".join(KINDS[kind].params) or "none"
            raise ConfigError(f"{kind}: unknown parameter {name!r} (allowed: {allowed})")
        try:
            params[name] = float(value)
        except ValueError:
            raise ConfigError(f"{kind}: parameter {name}={value!r} is not a number") from None
        if not math.isfinite(params[name]):
            raise ConfigError(f"{kind}: parameter {name} must be finite")
    duration: float | None = None
    if match["duration"] == "forever":
        duration = math.inf
    elif match["duration"]:
        duration = parse_duration(match["duration"])
    return ScenarioSpec(
        kind=kind,
        target=match["target"],
        offset_s=parse_duration(match["offset"]) if match["offset"] else 0.0,
        duration_s=duration,
        params=params,
    )


def resolve_scenarios(
    specs: Sequence[ScenarioSpec], pool: SourcePool, start_ms: int, seed: int
) -> list[Scenario]:
    """Give every spec a concrete target (from ``pool``, by seed) and absolute times.

    Raises :class:`ConfigError` when a named target is not simulated, or no source of
    the kind is.
    """
    rng = random.Random(f"{seed}:scenario-targets")
    out: list[Scenario] = []
    taken: set[str] = set()
    for spec in specs:
        info = KINDS[spec.kind]
        ids = pool.ids(info.target)
        target = spec.target
        if target is None:
            free = [i for i in ids if i not in taken] or list(ids)
            if not free:
                raise ConfigError(f"{spec.kind}: no {info.target.value} is being simulated")
            target = rng.choice(free)
        elif target not in ids:
            raise ConfigError(f"{spec.kind}: {target} is not a simulated {info.target.value}")
        taken.add(target)
        duration = info.default_duration_s if spec.duration_s is None else spec.duration_s
        begin = start_ms + round(spec.offset_s * 1000)
        end = None if math.isinf(duration) else begin + round(duration * 1000)
        out.append(Scenario(spec.kind, target, begin, end, dict(spec.params)))
    return out


def default_scenarios(pool: SourcePool, seed: int, duration_s: float | None) -> list[ScenarioSpec]:
    """One scenario of every kind whose target kind is simulated, placed by seed.

    With a run duration each scenario starts in the first 40 % of the run and is sized
    to show its signature before the run ends (drift rate, alarm delay); without one
    (endless run) they start 5–60 minutes in, with default durations.
    """
    rng = random.Random(f"{seed}:scenarios")
    specs: list[ScenarioSpec] = []
    for kind, info in KINDS.items():
        if not pool.ids(info.target):
            continue
        params: dict[str, float] = {}
        if duration_s is None:
            offset = rng.uniform(5 * _M, 60 * _M)
            length = info.default_duration_s
        else:
            offset = rng.uniform(0.05, 0.4) * duration_s
            length = min(info.default_duration_s, 0.9 * (duration_s - offset))
            hours = length / _H
            if kind is ScenarioKind.SENSOR_DRIFT:
                params["rate_pct_per_h"] = round(max(1.0, 25.0 / max(0.7 * hours, 1e-3)), 3)
            elif kind is ScenarioKind.METER_CONTINUOUS_FLOW:
                params["alarm_after_h"] = round(min(6.0, 0.5 * hours), 3)
        specs.append(ScenarioSpec(kind, None, round(offset, 3), round(length, 3), params))
    return specs
