"""Per-series rule state and its snapshot file (msgpack, written atomically).

The snapshot lets deadman last-seen times (and arming times of sources never heard
from), each feed's newest event time, pending on-delays, stuck runs, latched
device alarms and what the anomaly detectors learned survive a restart. It is a cache
of derived state: losing it only means machines restart from "nothing seen" (deadman
re-arms at the next record, detectors learn again); open alerts themselves live in the
AlertStore and are reconciled by the next evaluation.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgspec

from alerts.anomaly import AnomalyState
from alerts.deadman import DeadmanState
from alerts.events import EventState
from alerts.stuck import StuckState
from alerts.threshold import ThresholdState

__all__ = ["SNAPSHOT_VERSION", "RuleStates", "load_snapshot", "save_snapshot"]

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1


class RuleStates(msgspec.Struct):
    """Machine states keyed ``rule name -> source id -> state``.

    ``closed_active`` holds, per rule, the sources whose alert an operator closed while
    the condition was active: the rule does not re-raise until the condition clears.
    ``feeds`` is the newest event time of each feed (utility), see ``alerts.feed_clock``.
    """

    version: int = SNAPSHOT_VERSION
    watermark_ms: int = 0
    feeds: dict[str, int] = {}
    threshold: dict[str, dict[str, ThresholdState]] = {}
    events: dict[str, dict[str, EventState]] = {}
    stuck: dict[str, dict[str, StuckState]] = {}
    deadman: dict[str, dict[str, DeadmanState]] = {}
    anomaly: dict[str, dict[str, AnomalyState]] = {}
    closed_active: dict[str, set[str]] = {}


def load_snapshot(path: Path) -> RuleStates:
    """The saved states, or empty states when the file is missing or unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RuleStates()
    except OSError:
        log.exception("alert_snapshot_unreadable", extra={"path": str(path)})
        return RuleStates()
    try:
        states = msgspec.msgpack.decode(data, type=RuleStates)
    except (msgspec.DecodeError, msgspec.ValidationError):
        log.exception("alert_snapshot_corrupt", extra={"path": str(path)})
        return RuleStates()
    if states.version != SNAPSHOT_VERSION:
        log.warning("alert_snapshot_version", extra={"path": str(path), "found": states.version})
        return RuleStates()
    return states


def save_snapshot(path: Path, data: bytes) -> None:
    """Write encoded states atomically: temp file, fsync, rename (blocking; run in a thread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
