"""The notification file (``--notify FILE`` / ``LIFELINE_NOTIFY_FILE``): who is told what.

YAML, validated once at start; any fault is a :class:`ConfigError` naming the place::

    receivers:                      # where messages go (alerts/notify/receivers/)
      - {name: duty, type: webhook, url: "http://127.0.0.1:9000/hook"}
    rosters:                        # on-call by shift: a roster is named like a receiver
      - {name: night-duty, tz: Asia/Shanghai,
         shifts: [{days: mon-sun, from: "20:00", to: "08:00", notify: [duty]}]}
    routes:                         # first match wins (unless ``continue: true``)
      - match: {severity: [critical]}       # also rule, kind, district, owner, category
        notify: [duty]
        repeat: 10m                         # until acknowledged
        escalate: [{after: 5m, notify: [supervisor]}]
    crews: {crew-01: [crew01-phone]}        # dispatch: an assignment tells the crew
    link_base: "https://lifeline.example.gov.cn"   # links in messages

Durations are ``30s``, ``5m``, ``2h``, ``1d``. Receivers are checked by their own type
(:mod:`alerts.notify.receivers`); the rest is checked here: names unique across
receivers and rosters, every name a route, roster or crew uses exists, escalation
steps in increasing ``after``, shift times ``HH:MM`` and days ``mon-fri`` or ``sat,sun``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import msgspec.yaml
from msgspec import Meta

from lifeline.config_files import decode_config, read_config
from lifeline.core.alert import AlertCategory, Severity
from lifeline.core.errors import ConfigError
from lifeline.core.ids import SourceKind

__all__ = [
    "DAYS",
    "Escalation",
    "FloodLimit",
    "Match",
    "NotifyConfig",
    "Roster",
    "Route",
    "Shift",
    "load_notify_config",
    "parse_duration_ms",
    "parse_notify_config",
]

Name = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Duration = Annotated[str, Meta(pattern=r"^\d+(\.\d+)?(ms|s|m|h|d)$")]
Clock = Annotated[str, Meta(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")]
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNIT_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_duration_ms(text: str) -> int:
    """``"5m"`` -> 300000 (the pattern of :data:`Duration` is already checked)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text)
    if match is None:
        raise ValueError(f"bad duration {text!r}: use e.g. 30s, 5m, 2h, 1d")
    return int(float(match.group(1)) * _UNIT_MS[match.group(2)])


class Match(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An alert matches when every non-empty list contains its value."""

    severity: list[Severity] = []
    rule: list[str] = []
    kind: list[SourceKind] = []
    district: list[str] = []
    owner: list[str] = []
    category: list[AlertCategory] = []

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``labels``: severity, rule, kind, district, owner, category of one alert."""
        for field in self.__struct_fields__:
            wanted: list[Any] = getattr(self, field)
            if wanted and labels.get(field) not in {str(w) for w in wanted}:
                return False
        return True


class Escalation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    after: Duration
    notify: list[Name]

    @property
    def after_ms(self) -> int:
        return parse_duration_ms(self.after)


class FloodLimit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """More than ``alerts`` firing notices of a route within ``window``: a flood
    (ISA-18.2: > 10 alerts in 10 min per operator); then non-critical ones go out as
    one digest per ``group_interval`` of the route."""

    alerts: Annotated[int, Meta(ge=1)] = 10
    window: Duration = "10m"


class Route(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename={"keep_going": "continue"}
):
    notify: list[Name]
    match: Match = Match()
    name: str = ""
    repeat: Duration | None = None
    escalate: list[Escalation] = []
    group_interval: Duration = "5m"
    flood: FloodLimit = FloodLimit()
    keep_going: bool = False  # YAML ``continue``: later routes are tried too

    @property
    def repeat_ms(self) -> int | None:
        return None if self.repeat is None else parse_duration_ms(self.repeat)

    @property
    def group_interval_ms(self) -> int:
        return parse_duration_ms(self.group_interval)


class Shift(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename={"start": "from", "end": "to"}
):
    days: str
    start: Clock
    end: Clock
    notify: list[Name]

    @property
    def weekdays(self) -> frozenset[int]:
        """0 = Monday ... 6 = Sunday."""
        return _weekdays(self.days)


class Roster(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    shifts: list[Shift]
    tz: str = "Asia/Shanghai"


class _File(msgspec.Struct, forbid_unknown_fields=True):
    receivers: list[dict[str, Any]] = []
    routes: list[Route] = []
    rosters: list[Roster] = []
    crews: dict[str, list[Name]] = {}
    link_base: str = "http://127.0.0.1:8080"
    version: int = 1


class NotifyConfig(msgspec.Struct, frozen=True):
    """A validated notification file; ``receivers`` are still raw (each receiver type
    converts and checks its own, ``alerts.notify.receivers.build_receivers``)."""

    receivers: tuple[dict[str, Any], ...] = ()
    routes: tuple[Route, ...] = ()
    rosters: tuple[Roster, ...] = ()
    crews: Mapping[str, tuple[str, ...]] = {}
    link_base: str = "http://127.0.0.1:8080"

    @property
    def receiver_names(self) -> tuple[str, ...]:
        return tuple(str(r["name"]) for r in self.receivers)

    def route_name(self, index: int) -> str:
        return self.routes[index].name or f"route-{index + 1}"

    def route(self, name: str) -> Route | None:
        """The route called ``name`` (``route-N`` for the N-th unnamed one)."""
        for index, route in enumerate(self.routes):
            if self.route_name(index) == name:
                return route
        return None


def load_notify_config(path: Path) -> NotifyConfig:
    return parse_notify_config(read_config(path, "notify file"), source=str(path))


def parse_notify_config(data: bytes | str, source: str = "<notify>") -> NotifyConfig:
    parsed: _File = decode_config(data, _File, "notify file", source)
    try:
        _check(parsed)
    except ValueError as exc:
        raise ConfigError(f"notify file {source}: {exc}") from exc
    return NotifyConfig(
        receivers=tuple(parsed.receivers),
        routes=tuple(parsed.routes),
        rosters=tuple(parsed.rosters),
        crews={crew: tuple(names) for crew, names in parsed.crews.items()},
        link_base=parsed.link_base.rstrip("/"),
    )


def _check(parsed: _File) -> None:
    receivers: list[str] = []
    for i, raw in enumerate(parsed.receivers):
        name = raw.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name):
            raise ValueError(f"receivers[{i}]: needs a name ([a-z0-9][a-z0-9_-]*)")
        if not isinstance(raw.get("type"), str):
            raise ValueError(f"receiver {name!r}: needs a type")
        receivers.append(name)
    rosters = [r.name for r in parsed.rosters]
    _unique([*receivers, *rosters], "receiver or roster")
    known = set(receivers) | set(rosters)
    for roster in parsed.rosters:
        try:
            ZoneInfo(roster.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"roster {roster.name!r}: unknown time zone {roster.tz!r}") from None
        if not roster.shifts:
            raise ValueError(f"roster {roster.name!r}: needs at least one shift")
        for j, shift in enumerate(roster.shifts):
            where = f"roster {roster.name!r} shift {j + 1}"
            _weekdays(shift.days, where)
            if shift.start == shift.end:
                raise ValueError(f"{where}: from and to are equal (use 00:00 to 24:00)")
            _known(shift.notify, set(receivers), where, "receiver")
    _unique([r.name for r in parsed.routes if r.name], "route")
    for i, route in enumerate(parsed.routes):
        where = f"route {route.name or i + 1}"
        if not route.notify:
            raise ValueError(f"{where}: notify is empty")
        _known(route.notify, known, where, "receiver or roster")
        afters = [step.after_ms for step in route.escalate]
        if any(b <= a for a, b in itertools.pairwise(afters)):
            raise ValueError(f"{where}: escalation steps must have increasing 'after'")
        for step in route.escalate:
            _known(step.notify, known, where, "receiver or roster")
        if route.repeat_ms is not None and route.repeat_ms < 60_000:
            raise ValueError(f"{where}: repeat below 1m would page people in a loop")
        if route.group_interval_ms < 1000:
            raise ValueError(f"{where}: group_interval below 1s")
    for crew, names in parsed.crews.items():
        _known(names, known, f"crew {crew!r}", "receiver or roster")


def _unique(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} name {name!r} is used twice")
        seen.add(name)


def _known(names: Iterable[str], known: set[str], where: str, what: str) -> None:
    for name in names:
        if name not in known:
            raise ValueError(f"{where}: unknown {what} {name!r}")


def _weekdays(text: str, where: str = "shift") -> frozenset[int]:
    """``mon-sun``, ``mon-fri``, ``sat,sun``, ``fri-mon`` (wraps) -> weekday numbers."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{where}: bad days {text!r} (e.g. mon-fri, sat,sun)")
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        days.update(d % 7 for d in range(a, a + ((b - a) % 7) + 1))
    return frozenset(days)
