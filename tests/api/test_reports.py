"""``/api/v1/reports``: a simulated month's on-line rates (from each source's first
record, not the month's first day), alarm counts, handling times and ISA-18.2 KPIs, as
JSON, CSV and XLSX, against totals computed independently (tests/report_month.py)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from lifeline.core.identity import Role
from tests.api.conftest import Env
from tests.report_month import MONTH_DATE, Expected, seed_month


@pytest.fixture
async def month(env: Env) -> Expected:
    return await seed_month(env.telemetry, env.alerts)


async def test_the_monthly_report_has_the_months_totals(env: Env, month: Expected) -> None:
    params = {"period": "month", "date": MONTH_DATE.isoformat()}
    report = (await env.client.get("/api/v1/reports", params=params)).json()
    assert report["label"] == "2025-12"
    summary = report["summary"]
    assert (summary["alarms"], summary["suppressed"], summary["acked"], summary["closed"]) == (
        month.alarms,
        month.suppressed,
        month.acked,
        month.closed,
    )
    assert round(summary["time_to_ack"]["mean_ms"] / 60_000, 1) == month.mean_ack_min
    assert round(summary["time_to_resolve"]["mean_ms"] / 60_000, 1) == month.mean_resolve_min
    assert round(summary["enterprise_online_rate"] * 100, 2) == month.enterprise_overall_pct
    assert round(summary["channel_online_rate"] * 100, 2) == month.channel_rate_pct
    rates = {e["id"]: e["rate"] for e in report["enterprises"] if e["rate"] is not None}
    assert {k: round(v * 100, 2) for k, v in rates.items()} == month.enterprise_rates
    heat2 = next(e for e in report["enterprises"] if e["id"] == "HEAT-002")
    assert heat2["counted_from_ms"] > report["start_ms"]  # from its first record
    assert len(report["buckets"]) == 31
    assert sum(b["alarms"] for b in report["buckets"]) == month.alarms
    assert summary["annunciations"] == month.alarms
    assert summary["per_operator_per_10min_max"] == 1
    assert (summary["floods"], summary["stale"]) == (0, 0)


async def test_xlsx_and_csv_downloads_carry_the_same_totals(env: Env, month: Expected) -> None:
    params = {"period": "month", "date": MONTH_DATE.isoformat(), "format": "xlsx"}
    response = await env.client.get("/api/v1/reports", params={**params, "lang": "en"})
    assert response.headers["content-disposition"] == 'attachment; filename="report-2025-12.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary", "Enterprise on-line", "Channel on-line", "By period", "By rule", "ISA-18.2",
    ]  # fmt: skip
    summary = {row[0]: row[2] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["alarms"], summary["acked"], summary["mean_ack_min"]) == (
        month.alarms,
        month.acked,
        month.mean_ack_min,
    )
    assert summary["enterprise_rate"] == month.enterprise_overall_pct
    by_day = list(book["By period"].iter_rows(min_row=2, values_only=True))
    assert sum(row[1] for row in by_day) == month.alarms
    zh = await env.client.get(
        "/api/v1/reports", params={**params, "format": "csv", "section": "enterprises"}
    )
    rows = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "名称", "区域"]
    heat1 = next(r for r in rows if r[0] == "HEAT-001")
    assert float(heat1[7]) == month.enterprise_rates["HEAT-001"]


async def test_reports_are_for_staff_and_check_their_parameters(env: Env) -> None:
    crew = await env.client_as(Role.CREW, crew_id="crew-01")
    assert (await crew.get("/api/v1/reports")).status_code == 403
    assert (await env.client.get("/api/v1/reports", params={"period": "year"})).status_code == 422
    weekly = {"period": "week", "date": "2026-01-15"}
    week = (await env.client.get("/api/v1/reports", params=weekly)).json()
    assert (week["label"], len(week["buckets"])) == ("2026-W03", 7)
    day = (await env.client.get("/api/v1/reports", params={"period": "day"})).json()
    assert (day["label"], len(day["buckets"])) == ("2026-01-15", 24)
