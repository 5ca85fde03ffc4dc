"""``/api/v1/crews``: field crews (admin): who is in each (crew accounts, made with
``POST /api/v1/users``, role ``crew``), which notification receivers hear of its
dispatches (the ``crews:`` of the notification file, read-only here: edited in the file,
applied at restart) and how many open incidents it has."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter

from api.deps import AlertStoreDep, AuthStoreDep, Deps
from api.routes import API_PREFIX
from api.schemas.admin import CrewOut
from lifeline.core.identity import Role

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/crews", tags=["admin"])


@router.get("", summary="Crews: members, notification receivers, open incidents")
async def list_crews(deps: Deps, auth: AuthStoreDep, alerts: AlertStoreDep) -> list[CrewOut]:
    members: dict[str, list[str]] = {}
    for user in await auth.list_users():
        if user.role is Role.CREW and user.crew_id:
            names = members.setdefault(user.crew_id, [])
            if user.active:
                names.append(user.username)
    receivers: dict[str, list[str]] = {}
    if deps.notify is not None:
        configured = deps.notify.describe_routes().get("crews")
        if isinstance(configured, dict):
            receivers = {str(k): [str(n) for n in v] for k, v in configured.items()}
    incidents = Counter(a.assigned_to for a in await alerts.open_alerts() if a.assigned_to)
    return [
        CrewOut(
            crew_id=crew,
            members=sorted(members.get(crew, [])),
            receivers=receivers.get(crew, []),
            open_incidents=incidents[crew],
        )
        for crew in sorted(members.keys() | receivers.keys() | incidents.keys())
    ]
