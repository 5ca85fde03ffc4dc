"""What the dashboard needs from the API: close with a resolution cause, alerts of a crew,
rules with their set-points, shift KPIs, and the pages and static files themselves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lifeline.core.alert import AlertAction, AlertCommand, AlertState
from lifeline.core.errors import TransitionError
from store import SqliteAlertStore
from store.sqlite_alerts import _MIGRATIONS
from store.sqlite_db import connect, migrate
from tests.api.conftest import Env
from tests.api.factories import MINUTE, NOW_MS, gas, raise_alert


async def _leak(env: Env, channel: str) -> int:
    await env.ingest([gas(channel, NOW_MS - MINUTE, 60.0)])
    alert = await env.alerts.find_open(channel, "gas_leak")
    assert alert is not None
    return alert.id


async def test_close_with_a_cause_keeps_it_on_the_alert_and_in_the_audit(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0001")
    response = await env.client.post(
        f"/api/v1/alerts/{alert_id}/close",
        json={"actor": "crew-07", "cause": "false_alarm", "note": "cooking fumes"},
    )
    assert response.status_code == 200
    assert response.json()["cause"] == "false_alarm"
    detail = (await env.client.get(f"/api/v1/alerts/{alert_id}")).json()
    assert (detail["state"], detail["cause"]) == ("closed", "false_alarm")
    last = detail["audit"][-1]
    assert (last["action"], last["actor"], last["cause"], last["note"]) == (
        "close",
        "op-test",
        "false_alarm",
        "cooking fumes",
    )


async def test_close_with_an_unknown_cause_is_422_and_leaves_the_alert_open(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0002")
    response = await env.client.post(f"/api/v1/alerts/{alert_id}/close", json={"cause": "gremlins"})
    assert response.status_code == 422
    stored = await env.alerts.get(alert_id)
    assert stored is not None
    assert stored.state is AlertState.ACTIVE_UNACKED


async def test_a_cause_is_refused_with_any_action_but_close(env: Env) -> None:
    alert_id = await _leak(env, "GAS-0003")
    with pytest.raises(TransitionError):
        await env.engine.act(alert_id, AlertCommand(AlertAction.ACK, "op", cause="real_leak"))
    with pytest.raises(TransitionError):
        await env.engine.act(alert_id, AlertCommand(AlertAction.CLOSE, "op", cause="not-a-cause"))
    closed = await env.engine.act(
        alert_id, AlertCommand(AlertAction.CLOSE, "op", cause="maintenance")
    )
    assert closed.cause == "maintenance"


async def test_alerts_filter_by_assigned_crew(env: Env) -> None:
    mine = await _leak(env, "GAS-0004")
    other = await _leak(env, "GAS-0005")
    await _leak(env, "GAS-0006")
    for alert_id, crew in ((mine, "crew-01"), (other, "crew-02")):
        response = await env.client.post(
            f"/api/v1/alerts/{alert_id}/assign", json={"assignee": crew}
        )
        assert response.status_code == 200
    page = (await env.client.get("/api/v1/alerts", params={"assigned_to": "crew-01"})).json()
    assert [a["id"] for a in page["items"]] == [mine]
    assert page["total"] == 1


async def test_rules_list_threshold_levels_for_chart_set_points(env: Env) -> None:
    rules = (await env.client.get("/api/v1/rules", params={"type": "threshold"})).json()
    by_name = {r["name"]: r for r in rules}
    assert all(r["type"] == "threshold" for r in rules)
    leak = by_name["gas_leak"]
    assert (leak["kind"], leak["metric"], leak["levels_from_registry"]) == (
        "gas_channel",
        "lel_pct",
        True,
    )
    assert [(lv["value"], lv["severity"]) for lv in leak["levels"]] == [
        (20.0, "major"),
        (50.0, "critical"),
    ]
    stations = (await env.client.get("/api/v1/rules", params={"kind": "station"})).json()
    assert {r["kind"] for r in stations} == {"station"}
    assert any(r["type"] == "deadman" for r in stations)


async def test_kpis_count_the_shift_from_the_alert_store(env: Env) -> None:
    for i in range(1, 13):  # 12 leaks within 12 s of event time: a flood
        await env.ingest([gas(f"GAS-{i:04d}", NOW_MS - MINUTE + i * 1000, 60.0)])
    alert_id = (await env.alerts.find_open("GAS-0001", "gas_leak")).id  # type: ignore[union-attr]
    await env.client.post(f"/api/v1/alerts/{alert_id}/ack", json={})
    kpis = (await env.client.get("/api/v1/kpis", params={"hours": 8})).json()
    assert kpis["annunciations"] == 12
    assert kpis["by_severity"]["critical"] == 12
    assert len(kpis["floods"]) == 1
    assert kpis["floods"][0]["peak"] == 12
    assert kpis["acks"] == 1
    assert len(kpis["top_sources"]) == 10
    assert (await env.client.get("/api/v1/kpis", params={"hours": 0})).status_code == 422


async def test_stale_alert_shows_in_kpis(env: Env) -> None:
    await raise_alert(env.alerts, "GAS-0100", ts_ms=NOW_MS - 30 * 3_600_000)
    kpis = (await env.client.get("/api/v1/kpis")).json()
    assert [s["source_id"] for s in kpis["stale"]] == ["GAS-0100"]


async def test_pages_and_static_files_are_served(env: Env) -> None:
    for path, marker in (("/", "control-room.js"), ("/crew", "crew.js")):
        response = await env.client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert marker in response.text
    script = await env.client.get("/static/js/common.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    vendor = await env.client.get("/static/vendor/echarts.min.js")
    assert vendor.status_code == 200
    assert len(vendor.content) > 500_000


async def test_a_version_1_alerts_database_is_upgraded_with_the_cause_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lifeline.db"
    conn = connect(path)
    migrate(conn, "alerts", _MIGRATIONS[:1])  # a database from before the cause column
    conn.execute(
        "INSERT INTO alerts(source_id, source_kind, rule, severity, state, message, "
        "raised_at_ms, updated_at_ms, condition_active, category, count) VALUES "
        "('GAS-0001', 'gas_channel', 'gas_leak', 'critical', 'active_unacked', 'm', 1, 1, 1, "
        "'alarm', 1)"
    )
    conn.close()
    store = SqliteAlertStore(path)
    try:
        (old,) = await store.open_alerts()
        assert old.cause is None
    finally:
        await store.close()
    with sqlite3.connect(path) as check:
        columns = {row[1] for row in check.execute("PRAGMA table_info(alert_audit)")}
        (version,) = check.execute(
            "SELECT version FROM schema_version WHERE component = 'alerts'"
        ).fetchone()
    assert "cause" in columns
    assert version == 2
