"""CPU time of process trees and of the whole machine over one measured interval.

:class:`CpuMeter` snapshots, per role (``consumer``, ``broker``, ``influxd``), the user +
system CPU seconds of the role's process tree (the root, its live descendants and the
children they have reaped), the bench process itself (``bench``: its own threads only)
and the machine's busy time (``psutil.cpu_times``: all but idle and iowait). ``stop``
takes the CPU seconds of roles that measured themselves (the publisher processes,
which exit before the end) and returns what each role used in between, plus
``other``: the machine's busy time no role accounts for (other users of a shared
machine).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec
import psutil

__all__ = ["CpuMeter", "CpuUsage", "tree_seconds"]


class CpuUsage(msgspec.Struct):
    wall_s: float
    cores: int
    seconds: dict[str, float]  # role -> CPU seconds in the interval (and "other")
    machine_busy_pct: float  # of all cores

    def pct_of_core(self, role: str) -> float:
        return 100.0 * self.seconds.get(role, 0.0) / self.wall_s if self.wall_s else 0.0


def tree_seconds(pid: int) -> dict[int, float]:
    """CPU seconds per process of ``pid``'s tree (empty when it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    out: dict[int, float] = {}
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = t.user + t.system + t.children_user + t.children_system
    return out


def _self_seconds() -> float:
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def _machine_busy() -> float:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return float(sum(times) - idle)


@dataclass
class CpuMeter:
    """``roles``: role -> root pid. See the module docstring."""

    roles: Mapping[str, int]
    _start: dict[str, dict[int, float]] = field(default_factory=dict)
    _bench: float = 0.0
    _machine: float = 0.0
    _began: float = 0.0

    def _snapshot(self) -> dict[str, dict[int, float]]:
        return {role: tree_seconds(pid) for role, pid in self.roles.items()}

    def start(self) -> None:
        self._start = self._snapshot()
        self._bench = _self_seconds()
        self._machine = _machine_busy()
        self._began = time.monotonic()

    def stop(self, measured: Mapping[str, float] | None = None) -> CpuUsage:
        """The interval's usage; ``measured``: role -> seconds the role reported itself."""
        end = self._snapshot()
        wall = time.monotonic() - self._began
        machine = _machine_busy() - self._machine
        seconds = {
            role: sum(s - self._start.get(role, {}).get(p, 0.0) for p, s in procs.items())
            for role, procs in end.items()
        }
        seconds["bench"] = _self_seconds() - self._bench
        seconds.update(measured or {})
        seconds["other"] = max(0.0, machine - sum(seconds.values()))
        cores = psutil.cpu_count() or 1
        busy = 100.0 * machine / (wall * cores) if wall else 0.0
        return CpuUsage(wall, cores, {k: round(v, 3) for k, v in seconds.items()}, round(busy, 1))
