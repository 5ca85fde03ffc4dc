"""``/api/v1/setpoints``: set-points of a class of channels, dry run first, applied to the
live registry and its store, audited with every channel's before and after."""

from __future__ import annotations

import json

import pytest

from lifeline.core.identity import AuditQuery, Role
from lifeline.core.registry import Registry
from tests.api.conftest import Env
from tests.api.factories import NOW_MS, gas
from tests.registry_tables import copy_registry


@pytest.fixture
def registry(registry: Registry) -> Registry:
    """This module's tests edit the registry: each gets a copy of the session's."""
    return copy_registry(registry)


async def test_a_dry_run_lists_the_class_and_the_leak_alerts_it_would_re_grade(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN, "admin1")
    leaking = min(
        c.id
        for c in env.registry.channels.values()
        if c.site_type == "kitchen" and (c.low_pct, c.high_pct) == (20.0, 50.0)
    )  # (other modules' tests edit some channels of the session's registry)
    await env.ingest([gas(leaking, NOW_MS - 60_000, 30.0)])  # a major leak at 30 %LEL
    kitchens = sorted(c.id for c in env.registry.channels.values() if c.site_type == "kitchen")
    classes = (await admin.get("/api/v1/setpoints")).json()
    kitchen = next(c for c in classes if c["site_type"] == "kitchen")
    assert kitchen["channels"] == len(kitchens)
    body = {"site_type": "kitchen", "low_pct": 10, "high_pct": 25}
    dry = (await admin.post("/api/v1/setpoints", json=body)).json()
    assert (dry["applied"], dry["matched"], len(dry["changed"])) == (
        False,
        len(kitchens),
        len(kitchens),
    )
    assert {tuple(row["after"]) for row in dry["changed"]} == {(10.0, 25.0)}
    [regraded] = dry["alerts"]
    assert (regraded["source_id"], regraded["outcome"], regraded["new_severity"]) == (
        leaking,
        "severity",
        "critical",
    )
    assert env.registry.channels[leaking].high_pct == 50.0  # nothing changed


async def test_applying_changes_the_live_registry_its_store_and_the_audit_log(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN, "admin1")
    body = {"site_type": "valve_well", "district": "市南", "high_pct": 40, "dry_run": False}
    done = (await admin.post("/api/v1/setpoints", json=body)).json()
    assert done["applied"] is True
    ids = [row["id"] for row in done["changed"]]
    assert ids
    assert all(env.registry.channels[i].high_pct == 40.0 for i in ids)
    assert env.deps.registry_store is not None
    stored = await env.deps.registry_store.load()
    assert stored is not None
    assert all(stored.channels[i].high_pct == 40.0 for i in ids)
    [entry] = await env.auth.audit(AuditQuery(kind="registry"))
    assert (entry.actor, entry.action) == ("admin1", "update_setpoints")
    detail = json.loads(entry.detail or "")
    low = detail["before"][ids[0]][0]
    assert detail["after"][ids[0]] == [low, 40.0]
    assert detail["count"] == len(ids)
    again = (await admin.post("/api/v1/setpoints", json=body)).json()
    assert (again["applied"], again["changed"]) == (False, [])  # nothing left to change


async def test_bad_set_points_are_refused(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    post = admin.post
    assert (await post("/api/v1/setpoints", json={"low_pct": 10})).status_code == 422
    assert (await post("/api/v1/setpoints", json={"site_type": "kitchen"})).status_code == 422
    inverted = {"site_type": "kitchen", "low_pct": 60}
    assert (await post("/api/v1/setpoints", json=inverted)).status_code == 422
    unknown = {"channel_ids": ["GAS-9999"], "low_pct": 10}
    assert (await post("/api/v1/setpoints", json=unknown)).status_code == 422
    assert (await env.client.post("/api/v1/setpoints", json=unknown)).status_code == 403
