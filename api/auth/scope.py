"""What a crew or a utility may see of the routes it may call.

- utility: only sources it owns (``Registry.owner_of``), alerts with its
  ``utility_id``, its own rejects. A foreign id is 403.
- crew: only alerts assigned to its ``crew_id``, and the registry entry of a source
  while one of its open incidents is on it (for the address on the crew page).
- operator, admin: everything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

from fastapi import HTTPException

from api.auth.principal import Principal
from lifeline.core.alert import OPEN_STATES, Alert, AlertQuery
from lifeline.core.identity import Role
from lifeline.core.payloads import AlertEvent
from lifeline.core.ports import AlertStore
from lifeline.core.registry import Registry

__all__ = [
    "NOBODY",
    "check_alert",
    "check_source",
    "crew_of",
    "filtered_feed",
    "may_see_alert",
    "owns",
    "utility_of",
]

NOBODY: Final = "\x00"  # an id no entity has: a crew or utility account missing its id


def utility_of(principal: Principal) -> str | None:
    """The utility a caller is confined to (None: not confined)."""
    if principal.role is Role.UTILITY:
        return principal.utility_id or NOBODY
    return None


def crew_of(principal: Principal) -> str | None:
    """The crew a caller is confined to (None: not confined)."""
    if principal.role is Role.CREW:
        return principal.crew_id or NOBODY
    return None


def owns(principal: Principal, owner: str | None) -> bool:
    """Whether a source of ``owner`` is the caller's to see: a utility's own sources; for
    every other role, any (a crew's registry routes are checked by :func:`check_source`)."""
    utility = utility_of(principal)
    return utility is None or owner == utility


def may_see_alert(principal: Principal, alert: Alert) -> bool:
    if (utility := utility_of(principal)) is not None:
        return alert.utility_id == utility
    if (crew := crew_of(principal)) is not None:
        return alert.assigned_to == crew
    return True


def check_alert(principal: Principal, alert: Alert) -> None:
    if not may_see_alert(principal, alert):
        raise HTTPException(403, detail=f"alert {alert.id} is not yours")


async def check_source(
    principal: Principal, registry: Registry, alerts: AlertStore, source_id: str
) -> None:
    """403 unless the caller may see registry entry ``source_id`` (unknown ids pass:
    the route answers 404 for them)."""
    if principal.is_staff or registry.kind_of(source_id) is None:
        return
    if (utility := utility_of(principal)) is not None:
        if registry.owner_of(source_id) == utility:
            return
    elif (crew := crew_of(principal)) is not None:
        query = AlertQuery(states=OPEN_STATES, source_id=source_id, assigned_to=crew, limit=1)
        _, assigned = await alerts.query(query)
        if assigned:
            return
    raise HTTPException(403, detail=f"{source_id} is not yours")


def filtered_feed(
    events: AsyncIterator[AlertEvent], principal: Principal, alerts: AlertStore
) -> AsyncIterator[AlertEvent]:
    """The live feed as ``principal`` may see it (staff: unchanged)."""
    if principal.is_staff:
        return events

    async def keep(event: AlertEvent) -> bool:
        alert = await alerts.get(event.id)
        return alert is not None and may_see_alert(principal, alert)

    return _filter(events, keep)


async def _filter(
    events: AsyncIterator[AlertEvent], keep: Callable[[AlertEvent], Awaitable[bool]]
) -> AsyncIterator[AlertEvent]:
    try:
        async for event in events:
            if await keep(event):
                yield event
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
        elif (close := getattr(events, "close", None)) is not None:
            close()
