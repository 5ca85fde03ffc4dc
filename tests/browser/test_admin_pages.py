"""The administration and report pages against a real ``lifeline up`` of their own
(imports grow its registry), logged in through the form as the development admin, in
zh-CN and English: a 500-row registry import with 3 bad rows, a maintenance window that
suppresses its source's alerts, a monthly report downloaded as XLSX with the month's
totals; screenshots of the pages for the README."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import openpyxl
import pytest
from playwright.async_api import Page, async_playwright

from store import SqliteAlertStore, SqliteTelemetryStore
from tests.browser.city import gas, publish_many
from tests.browser.conftest import CHROMIUM_ARGS, SCREENSHOTS, Browsing
from tests.e2e.stack import Stack, eventually
from tests.registry_tables import channel_rows, csv_of
from tests.report_month import MONTH_DATE, seed_month
from tests.services import free_port

ADMIN: Final = ("admin", "lifeline-dev-admin")  # development-mode account


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("admin")
    notify = root / "notify.yaml"  # critical alerts planned for a duty webhook nobody hears
    notify.write_text(
        "receivers:\n"
        f"  - {{name: duty, type: webhook, url: 'http://127.0.0.1:{free_port()}/hook'}}\n"
        "routes:\n  - {match: {severity: [critical]}, notify: [duty]}\n"
    )
    stack = Stack(data_dir=root / "data", env={"LIFELINE_NOTIFY_FILE": str(notify)})
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api, headers=stack.headers, timeout=10.0) as c:
        yield c


@pytest.fixture
async def browsing(stack: Stack, chromium_path: str) -> AsyncIterator[Browsing]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield Browsing(launched, stack.api)
        finally:
            await launched.close()


async def _admin_page(browsing: Browsing, path: str) -> Page:
    page = await browsing.page(path, width=1600, height=1000, login=ADMIN)
    await page.wait_for_selector("#panel .card, #report .report-head", timeout=10_000)
    return page


async def _open_alert(api: httpx.AsyncClient, source_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await api.get("/api/v1/alerts", params={"source_id": source_id, "open": True})
        items: list[dict[str, Any]] = found.json()["items"]
        return items[0] if items else None

    return await eventually(probe, timeout_s=10.0)


async def test_an_admin_imports_500_channels_3_rows_refused_497_applied(
    browsing: Browsing, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    before = (await api.get("/api/v1/channels", params={"limit": 1})).json()["total"]
    table = tmp_path / "new-channels.csv"
    table.write_bytes(csv_of(channel_rows(500)))
    page = await _admin_page(browsing, "/admin#registry")
    assert "设备台账" in await page.inner_text(".tab.on")  # zh-CN by default
    await page.set_input_files("#import-form input[type=file]", str(table))
    await page.click("#import-form [data-action=dry-run]")
    result = page.locator("#import-result .result")
    await result.wait_for()
    assert await result.get_attribute("data-added") == "497"
    assert await page.locator("#import-errors tbody tr").count() == 3
    assert "错误行" in await page.inner_text("#import-result")
    await page.click("#import-form [data-action=import]")
    await page.wait_for_selector("#import-result .result[data-applied=true]")
    assert await page.locator("#import-errors tbody tr").count() == 3
    rows = [await r.inner_text() for r in await page.locator("#import-errors tbody tr").all()]
    assert [r.split()[0] for r in rows] == ["43", "252", "500"]  # sheet rows (header = 1)
    assert "3.61 超出范围 35–37.5" in rows[0]  # worded in the page's language
    after = (await api.get("/api/v1/channels", params={"limit": 1})).json()["total"]
    assert after == before + 497
    added = (await api.get("/api/v1/channels/GAS-2001")).json()
    assert (added["low_pct"], added["high_pct"]) == (15.0, 40.0)
    await page.screenshot(path=str(SCREENSHOTS / "admin-registry-import.png"), full_page=True)
    assert browsing.errors == []


async def test_a_maintenance_window_suppresses_its_sources_alerts(
    browsing: Browsing, stack: Stack, api: httpx.AsyncClient
) -> None:
    page = await _admin_page(browsing, "/admin#maintenance")
    await page.click("#lang")  # English
    assert "Maintenance" in await page.inner_text(".tab.on")
    form = page.locator("#maintenance-form")
    await form.locator("input[name=target_id]").fill("GAS-0042")
    await form.locator("input[name=reason]").fill("valve replacement")
    await form.locator("button[type=submit]").click()
    row = page.locator("#maintenance-list tbody tr", has_text="GAS-0042")
    await row.wait_for()
    assert "in maintenance" in await row.inner_text()
    channel = (await api.get("/api/v1/channels/GAS-0042")).json()
    assert channel["maintenance"]["reason"] == "valve replacement"
    await publish_many(stack, [gas("GAS-0042", 60.0), gas("GAS-0043", 60.0)])
    suppressed = await _open_alert(api, "GAS-0042")
    normal = await _open_alert(api, "GAS-0043")
    assert (suppressed["state"], normal["state"]) == ("out_of_service", "active_unacked")

    async def planned(alert_id: int) -> list[Any]:
        history = await api.get(f"/api/v1/alerts/{alert_id}/notifications")
        items: list[Any] = history.json()["items"]
        return items

    await eventually(lambda: _some(planned(normal["id"])), timeout_s=10.0)
    assert await planned(suppressed["id"]) == []  # nobody was told
    await page.screenshot(path=str(SCREENSHOTS / "admin-maintenance.png"), full_page=True)

    room = await browsing.page("/")  # an operator's empty browser, logged in by the form
    tile = room.locator(".tile[data-id='GAS-0042']")
    assert "maint" in (await tile.get_attribute("class") or "").split()
    assert "maint" not in (
        await room.locator(".tile[data-id='GAS-0043']").get_attribute("class") or ""
    )
    await room.wait_for_function(
        "() => (document.getElementById('map').dataset.maintenance || '')"
        ".split(',').includes('GAS-0042')"
    )  # on the map: its own ring, never clustered away
    assert "维护中" in (await tile.get_attribute("title") or "")
    await room.click("#grid-legend button[data-state=maintenance]")  # the legend filters
    assert await room.locator(".tile:visible").count() == 1
    assert await room.is_visible("#link-reports")
    assert not await room.is_visible("#link-admin")  # an operator: reports, not administration

    await row.locator("[data-action=cancel]").click()  # the work is done early

    async def back() -> str | None:
        alert = (await api.get(f"/api/v1/alerts/{suppressed['id']}")).json()
        return alert["state"] if alert["state"] != "out_of_service" else None

    assert await eventually(back, timeout_s=10.0) == "active_unacked"  # still leaking
    assert (await api.get("/api/v1/channels/GAS-0042")).json()["maintenance"] is None
    await room.wait_for_function(  # the alert's return reached the room: the tile is plain
        "() => !document.querySelector(\".tile[data-id='GAS-0042']\").classList.contains('maint')",
        timeout=10_000,
    )
    assert browsing.errors == []


async def _some(items: Any) -> list[Any] | None:
    found: list[Any] = await items
    return found or None


async def test_a_monthly_report_downloads_as_xlsx_with_the_months_totals(
    browsing: Browsing, stack: Stack, tmp_path: Path
) -> None:
    telemetry = SqliteTelemetryStore(stack.data_dir / "telemetry.db")
    alerts = SqliteAlertStore(stack.data_dir / "lifeline.db")
    try:
        month = await seed_month(telemetry, alerts)
    finally:
        await telemetry.close()
        await alerts.close()
    page = await _admin_page(browsing, "/reports")
    await page.fill("#report-form input[name=date]", MONTH_DATE.isoformat())
    await page.select_option("#report-form select[name=period]", "month")
    await page.click("#report-form button[type=submit]")
    await page.wait_for_selector(".report-head h2:has-text('2025-12')")
    assert await page.inner_text("#summary dd[data-key=alarms]") == str(month.alarms)
    assert "月报" in await page.inner_text(".report-head h2")
    async with page.expect_download() as waiting:
        await page.click("#xlsx")
    download = await waiting.value
    assert download.suggested_filename == "report-2025-12.xlsx"
    saved = tmp_path / "report.xlsx"
    await download.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    summary = {r[0]: r[2] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert (summary["alarms"], summary["suppressed"], summary["acked"], summary["closed"]) == (
        month.alarms,
        month.suppressed,
        month.acked,
        month.closed,
    )
    assert (summary["mean_ack_min"], summary["mean_resolve_min"]) == (
        month.mean_ack_min,
        month.mean_resolve_min,
    )
    assert summary["enterprise_rate"] == month.enterprise_overall_pct
    assert summary["channel_rate"] == month.channel_rate_pct
    rates = {r[0]: r[7] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert {k: rates[k] for k in month.enterprise_rates} == month.enterprise_rates
    assert sum(r[1] for r in book.worksheets[3].iter_rows(min_row=2, values_only=True)) == 40
    await page.screenshot(path=str(SCREENSHOTS / "reports.png"), full_page=True)
    await page.click("#lang")
    assert "Month 2025-12" in await page.inner_text(".report-head h2")
    assert "Summary" in await page.inner_text("#report")
    assert browsing.errors == []


async def test_set_points_rules_and_users_pages(browsing: Browsing) -> None:
    page = await _admin_page(browsing, "/admin#setpoints")
    form = page.locator("#setpoint-form")
    await form.locator("select[name=site_type]").select_option("kitchen")
    await form.locator("input[name=low_pct]").fill("15")
    await form.locator("input[name=high_pct]").fill("40")
    await form.locator("[data-action=dry-run]").click()
    result = page.locator("#setpoint-result .result")
    await result.wait_for()
    assert int(await result.get_attribute("data-changed") or 0) > 0
    await page.screenshot(path=str(SCREENSHOTS / "admin-setpoints.png"), full_page=True)
    await page.click(".tab[data-tab=rules]")
    await page.click("#panel tbody tr[data-id=gas_stuck]")
    editor = page.locator(".rule-editor textarea")
    text = await editor.input_value()
    assert '"duration_s": 7200' in text
    await editor.fill(text.replace('"duration_s": 7200', '"duration_s": 10800'))
    await page.click(".rule-editor [data-action=save]")
    await page.wait_for_selector("#rules-state[data-restart=true]")
    assert "重启" in await page.inner_text("#rules-state")  # said plainly: restart needed
    await page.screenshot(path=str(SCREENSHOTS / "admin-rules.png"), full_page=True)
    await page.click(".tab[data-tab=users]")
    await page.wait_for_selector("#users tbody tr[data-id=admin]")
    await page.click(".tab[data-tab=audit]")
    await page.wait_for_selector("#audit tbody tr")
    assert "update_parameters" in await page.inner_text("#audit")
    await asyncio.sleep(0)
    assert browsing.errors == []
