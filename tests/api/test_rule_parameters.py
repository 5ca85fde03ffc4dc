"""``/api/v1/rules/parameters`` and ``/dry-run``: rule parameters edited, validated like the
rules file, dry-run against the open alerts, saved for the next start (audited)."""

from __future__ import annotations

import json

from alerts.rule_documents import rules_in_use
from lifeline.core.identity import AuditQuery, Role
from tests.api.conftest import Env
from tests.api.factories import NOW_MS, station

OVERTEMP = {"station_primary_overtemp": {"levels": [{"value": 140, "severity": "major"}]}}


async def test_a_dry_run_shows_the_alerts_an_edit_would_clear(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    records = [station("HEAT-001-S01", NOW_MS - 120_000 + i * 30_000) for i in range(5)]
    records = [
        r.__class__(r.kind, r.source_id, r.ts_ms,
                    r.body.__class__(ts=r.ts_ms, primary_supply_temp_c=135.0), r.utility_id,
                    r.enterprise_id)
        for r in records
    ]  # fmt: skip
    await env.ingest(records)
    dry = await admin.post("/api/v1/rules/dry-run", json={"changes": OVERTEMP})
    assert dry.status_code == 200, dry.text
    assert dry.json()["changed_rules"] == ["station_primary_overtemp"]
    [change] = dry.json()["alerts"]
    assert (change["source_id"], change["outcome"]) == ("HEAT-001-S01", "clear")
    bad = {"changes": {"station_primary_overtemp": {"deadband": -2}}}
    refused = await admin.post("/api/v1/rules/dry-run", json=bad)
    assert refused.status_code == 422
    assert "deadband" in refused.json()["detail"]


async def test_saving_keeps_a_version_for_the_next_start_and_audits_it(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN, "admin1")
    before = (await admin.get("/api/v1/rules/parameters")).json()
    assert (before["running_version"], before["restart_required"]) == (None, False)
    saved = await admin.put(
        "/api/v1/rules/parameters", json={"changes": OVERTEMP, "note": "winter"}
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["saved_version"], body["saved_by"], body["restart_required"]) == (
        1,
        "admin1",
        True,
    )
    overtemp = next(r for r in body["rules"] if r["name"] == "station_primary_overtemp")
    assert overtemp["levels"] == [{"value": 140, "severity": "major"}]
    [entry] = await env.auth.audit(AuditQuery(kind="rule"))
    detail = json.loads(entry.detail or "")
    assert detail["before"]["station_primary_overtemp"]["levels"][0]["value"] == 130
    assert detail["after"]["station_primary_overtemp"]["levels"][0]["value"] == 140
    assert (entry.target, detail["note"]) == ("rules/v1", "winter")
    next_start = await rules_in_use(None, env.deps.rule_sets)  # what a restart loads
    assert next_start.version == 1
    second = {"changes": {"gas_stuck": {"description": "edited twice"}}}
    again = (await admin.put("/api/v1/rules/parameters", json=second)).json()
    kept = next(r for r in again["rules"] if r["name"] == "station_primary_overtemp")
    assert kept["levels"][0]["value"] == 140  # edits pile up on the saved version
    assert again["saved_version"] == 2
    assert (await env.client.get("/api/v1/rules/parameters")).status_code == 403
