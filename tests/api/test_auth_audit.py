"""The audit trail shows every transition and action, with who and from where, and
nothing can change or delete it: no route, and SQLite refuses UPDATE and DELETE."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lifeline.core.identity import Role
from tests.api.conftest import Env
from tests.api.factories import MINUTE, NOW_MS, gas
from tests.api.test_auth_matrix import _routes


async def test_every_transition_and_action_request_is_in_the_audit_trail(env: Env) -> None:
    await env.ingest([gas("GAS-0005", NOW_MS - MINUTE, 60.0)])
    alert = await env.alerts.find_open("GAS-0005", "gas_leak")
    assert alert is not None
    base = f"/api/v1/alerts/{alert.id}"
    await env.client.post(f"{base}/assign", json={"assignee": "crew-01"})
    crew = await env.client_as(Role.CREW, "crew01", crew_id="crew-01")
    await crew.post(f"{base}/ack", json={"note": "on site"})
    await crew.post(f"{base}/close", json={"cause": "real_leak"})
    assert (await crew.post(f"{base}/ack")).status_code == 409  # refused, still recorded

    admin = await env.client_as(Role.ADMIN)
    trail = (await admin.get("/api/v1/audit", params={"limit": 1000})).json()
    transitions = [
        (e["actor"], e["action"], e["to_state"])
        for e in reversed(trail["items"])
        if e["kind"] == "alert_transition" and e["alert_id"] == alert.id
    ]
    assert transitions == [
        ("system", "raise", "active_unacked"),
        ("op-test", "assign", "active_unacked"),
        ("crew01", "ack", "active_acked"),
        ("crew01", "close", "closed"),
    ]
    requests = [
        (e["actor"], e["action"], e["outcome"], e["client_ip"])
        for e in reversed(trail["items"])
        if e["kind"] == "alert_action"
    ]
    assert requests == [
        ("op-test", "assign", "ok", "127.0.0.1"),
        ("crew01", "ack", "ok", "127.0.0.1"),
        ("crew01", "close", "ok", "127.0.0.1"),
        ("crew01", "ack", "failed", "127.0.0.1"),
    ]
    only_crew = (await admin.get("/api/v1/audit", params={"actor": "crew01"})).json()["items"]
    assert {e["actor"] for e in only_crew} == {"crew01"}
    assert len(only_crew) == 5


async def test_no_route_can_change_or_delete_the_audit_trail(env: Env) -> None:
    audit_routes = {(m, p) for m, p in _routes(env) if "audit" in p}
    assert audit_routes == {("GET", "/api/v1/audit")}
    admin = await env.client_as(Role.ADMIN)
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert (await admin.request(method, "/api/v1/audit")).status_code == 405, method


async def test_sql_update_and_delete_of_the_audit_log_are_refused(env: Env, tmp_path: Path) -> None:
    await env.anonymous().post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    conn = sqlite3.connect(tmp_path / "lifeline.db")
    try:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_log SET actor = 'someone'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
        assert conn.execute("SELECT actor FROM audit_log").fetchone()[0] == "x"
    finally:
        conn.close()
