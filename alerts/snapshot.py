"""Per-series rule state and its snapshot file (msgpack, written atomically).

The snapshot lets deadman last-seen times (and arming times of sources never heard
from), each feed's newest event time, pending on-delays, stuck runs, latched
device alarms and what the anomaly detectors learned survive a restart. It is a cache
of derived state: losing it only means machines restart from "nothing seen" (deadman
re-arms at the next record, detectors learn again); open alerts themselves live in the
AlertStore and are reconciled by the next evaluation.

The file is one msgpack map: ``version``, ``watermark_ms``, ``feeds``,
``closed_active`` and one table per rule type, named by the type's ``field``
(``threshold``, ``events``, ``stuck``, ``deadman``, ``anomaly``: see
``alerts.machines``), each ``rule name -> source id -> state``. A table is decoded
into its type's state Struct at load (:func:`load_snapshot` is given the types); a
table of a type no longer known is dropped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["SNAPSHOT_VERSION", "RuleStates", "encode_snapshot", "load_snapshot", "save_snapshot"]

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
_HEADER = ("version", "watermark_ms", "feeds", "closed_active")


class _Header(msgspec.Struct):
    version: int = SNAPSHOT_VERSION
    watermark_ms: int = 0
    feeds: dict[str, int] = {}
    closed_active: dict[str, set[str]] = {}


class RuleStates:
    """Machine states: ``tables[field][rule name][source id] -> state``.

    ``closed_active`` holds, per rule, the sources whose alert an operator closed while
    the condition was active: the rule does not re-raise until the condition clears.
    ``feeds`` is the newest event time of each feed (utility), see ``alerts.feed_clock``.
    """

    __slots__ = ("closed_active", "feeds", "tables", "watermark_ms")

    def __init__(
        self,
        watermark_ms: int = 0,
        feeds: dict[str, int] | None = None,
        closed_active: dict[str, set[str]] | None = None,
        tables: dict[str, dict[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.watermark_ms = watermark_ms
        self.feeds: dict[str, int] = {} if feeds is None else feeds
        self.closed_active: dict[str, set[str]] = {} if closed_active is None else closed_active
        self.tables: dict[str, dict[str, dict[str, Any]]] = {} if tables is None else tables

    def table(self, field: str, rule: str) -> dict[str, Any]:
        """The states of ``rule`` (of the type whose table is ``field``), made on demand."""
        rules = self.tables.get(field)
        if rules is None:
            rules = self.tables[field] = {}
        states = rules.get(rule)
        if states is None:
            states = rules[rule] = {}
        return states


def encode_snapshot(states: RuleStates) -> bytes:
    return msgspec.msgpack.encode(
        {
            "version": SNAPSHOT_VERSION,
            "watermark_ms": states.watermark_ms,
            "feeds": states.feeds,
            "closed_active": states.closed_active,
            **states.tables,
        }
    )


def load_snapshot(path: Path, state_types: Mapping[str, type[Any]]) -> RuleStates:
    """The saved states (``state_types``: table field -> state type), or empty states
    when the file is missing or unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RuleStates()
    except OSError:
        log.exception("alert_snapshot_unreadable", extra={"path": str(path)})
        return RuleStates()
    try:
        raw = msgspec.msgpack.decode(data, type=dict[str, Any])
        header = msgspec.convert({k: raw[k] for k in _HEADER if k in raw}, _Header)
        tables = {
            field: msgspec.convert(raw[field], dict[str, dict[str, kind]])  # type: ignore[valid-type]
            for field, kind in state_types.items()
            if field in raw
        }
    except (msgspec.DecodeError, msgspec.ValidationError):
        log.exception("alert_snapshot_corrupt", extra={"path": str(path)})
        return RuleStates()
    if header.version != SNAPSHOT_VERSION:
        log.warning("alert_snapshot_version", extra={"path": str(path), "found": header.version})
        return RuleStates()
    return RuleStates(header.watermark_ms, header.feeds, header.closed_active, tables)


def save_snapshot(path: Path, data: bytes) -> None:
    """Write encoded states atomically: temp file, fsync, rename (blocking; run in a thread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
