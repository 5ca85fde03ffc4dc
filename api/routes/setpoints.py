"""``/api/v1/setpoints``: gas channels' alarm set-points by class (admin).

``GET`` shows the set-points in use per site type; ``POST`` sets ``low_pct`` /
``high_pct`` of every channel of a class (site type, district, owner, or a list of
ids): a dry run by default, listing the channels that would change and the open leak
alerts the new levels would re-grade or clear. Applied, the change goes to the live
registry and the registry store at once (as ``PUT /channels/{id}`` does: the next
record is judged by it) with one audit entry holding every channel's before and after.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import msgspec
from fastapi import APIRouter, HTTPException, Request

from alerts.machines.threshold import ThresholdRule
from alerts.rule_dry_run import threshold_outcome
from api.auth.audit import record
from api.auth.changes import before_after
from api.auth.guard import PrincipalDep
from api.deps import AlertStoreDep, Deps, RegistryDep, RulesDep
from api.routes import API_PREFIX
from api.schemas.admin import (
    AlertChangeOut,
    SetpointChange,
    SetpointChangeOut,
    SetpointClassOut,
    SetpointRowOut,
)
from lifeline.core.registry import Channel, Registry

__all__ = ["router"]

router = APIRouter(prefix=f"{API_PREFIX}/setpoints", tags=["admin"])


@router.get("", summary="Set-points in use per site type")
async def setpoint_classes(registry: RegistryDep) -> list[SetpointClassOut]:
    by_type: defaultdict[str, Counter[tuple[float, float]]] = defaultdict(Counter)
    for channel in registry.channels.values():
        by_type[channel.site_type][(channel.low_pct, channel.high_pct)] += 1
    return [
        SetpointClassOut(
            site_type=site_type,
            channels=sum(levels.values()),
            levels=[
                {"low_pct": low, "high_pct": high, "count": n}
                for (low, high), n in levels.most_common()
            ],
        )
        for site_type, levels in sorted(by_type.items())
    ]


def _matching(registry: Registry, body: SetpointChange) -> list[Channel]:
    ids = None if body.channel_ids is None else set(body.channel_ids)
    if ids is not None and (unknown := sorted(ids - registry.channels.keys())):
        raise HTTPException(422, detail=f"unknown channels: {', '.join(unknown[:20])}")
    return sorted(
        (
            c
            for c in registry.channels.values()
            if (body.site_type is None or c.site_type == body.site_type)
            and (body.district is None or c.district == body.district)
            and (body.owner is None or c.owner == body.owner)
            and (ids is None or c.id in ids)
        ),
        key=lambda c: c.id,
    )


def _updated(channel: Channel, body: SetpointChange) -> Channel:
    low = channel.low_pct if body.low_pct is None else body.low_pct
    high = channel.high_pct if body.high_pct is None else body.high_pct
    if low >= high:
        raise HTTPException(
            422, detail=f"{channel.id}: low_pct {low:g} must be below high_pct {high:g}"
        )
    return msgspec.structs.replace(channel, low_pct=low, high_pct=high)


@router.post("", summary="Set-points of a class of channels (dry run by default; audited)")
async def change_setpoints(
    body: SetpointChange,
    request: Request,
    principal: PrincipalDep,
    deps: Deps,
    registry: RegistryDep,
    alerts: AlertStoreDep,
    rules: RulesDep,
) -> SetpointChangeOut:
    matched = _matching(registry, body)
    pairs = [(c, _updated(c, body)) for c in matched]
    changed = [(old, new) for old, new in pairs if old != new]
    graded = {r.name: r for r in rules.rules if isinstance(r, ThresholdRule)}
    new_of = {new.id: new for _, new in changed}
    alert_changes: list[AlertChangeOut] = []
    for alert in await alerts.open_alerts():
        rule = graded.get(alert.rule)
        channel = new_of.get(alert.source_id)
        if rule is None or channel is None or not rule.levels_from_registry:
            continue
        found = threshold_outcome(rule, alert, channel)
        if found is not None:
            outcome, severity = found
            alert_changes.append(
                AlertChangeOut(
                    alert_id=alert.id,
                    source_id=alert.source_id,
                    rule=alert.rule,
                    state=alert.state.value,
                    severity=alert.severity.value,
                    outcome=outcome.value,
                    new_severity=None if severity is None else severity.value,
                    value=alert.value,
                )
            )
    rows = [
        SetpointRowOut(
            id=old.id,
            name=old.name,
            site_type=old.site_type,
            before=(old.low_pct, old.high_pct),
            after=(new.low_pct, new.high_pct),
        )
        for old, new in changed
    ]
    if not body.dry_run and changed:
        await _apply(deps, registry, changed)
        await record(
            request,
            principal.name,
            "registry",
            "update_setpoints",
            target=f"channels/{body.site_type or body.district or body.owner or 'list'}",
            detail=before_after(
                {o.id: [o.low_pct, o.high_pct] for o, _ in changed},
                {n.id: [n.low_pct, n.high_pct] for _, n in changed},
                filter=body.model_dump(exclude={"dry_run", "low_pct", "high_pct"}),
                count=len(changed),
            ),
        )
    return SetpointChangeOut(
        applied=not body.dry_run and bool(changed),
        matched=len(matched),
        changed=rows,
        alerts=alert_changes,
    )


async def _apply(deps: Deps, registry: Registry, changed: list[tuple[Channel, Channel]]) -> None:
    """In place on the live registry, then saved; put back if the save fails."""
    if deps.registry_store is None:
        raise HTTPException(503, detail="the registry is read-only in this process")
    for _, new in changed:
        registry.channels[new.id] = new
    try:
        await deps.registry_store.save(registry)
    except BaseException:
        for old, _ in changed:
            registry.channels[old.id] = old
        raise
