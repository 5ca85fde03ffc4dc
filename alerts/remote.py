"""Alert actions across processes: the API asks the rules worker that owns an alert.

In the scaled-out topology the rule engine that owns a source's open alerts is one of
several rules workers, so the API cannot change an alert itself (the engine would
overwrite it). It publishes an :class:`ActionRequest` on the owner partition's
``lifeline/internal/v1/actions/{p}`` topic; the worker applies it through
``AlertEngine.act`` and answers with an :class:`ActionReply` on the requester's
``reply_to`` topic. Payloads are JSON (msgspec), so they work over MQTT 3.1.1 too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import msgspec

from lifeline.core.alert import Alert, AlertAction
from lifeline.core.ids import SourceKind
from lifeline.core.partitions import partition_key, partition_of
from lifeline.core.registry import Registry

__all__ = ["ActionReply", "ActionRequest", "alert_partition_key", "owned_sources"]


class ActionRequest(msgspec.Struct, frozen=True):
    request_id: str
    reply_to: str
    alert_id: int
    action: AlertAction
    actor: str
    note: str | None = None
    shelve_ms: int | None = None
    assignee: str | None = None
    cause: str | None = None


class ActionReply(msgspec.Struct, frozen=True):
    """``error`` is ``not_found`` or ``transition`` (with ``detail``) when not ``ok``."""

    request_id: str
    ok: bool
    alert: Alert | None = None
    error: str | None = None
    detail: str | None = None


def alert_partition_key(alert: Alert) -> str:
    """The partition key of the records that drive ``alert`` (see lifeline.core.partitions)."""
    if alert.source_kind in (SourceKind.STATION, SourceKind.ENTERPRISE):
        return partition_key(alert.source_id, alert.enterprise_id)
    return alert.source_id


def owned_sources(
    registry: Registry, partitions: Collection[int], total: int
) -> Callable[[str], bool]:
    """Whether a registry source's records land in one of ``partitions`` (a station and
    its enterprise by the enterprise): the sources a rules worker arms deadman rules for
    before their first record."""

    def owns(source_id: str) -> bool:
        key = partition_key(source_id, registry.enterprise_of(source_id))
        return partition_of(key, total) in partitions

    return owns
