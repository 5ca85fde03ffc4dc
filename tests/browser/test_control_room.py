"""The control-room page against a real ``lifeline up``: registry on screen, live alerts
over SSE, actions seen by a second operator, language and time zone."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from lifeline.core.topics import station_topic
from tests.browser.city import REGISTRY, gas, gas_event, publish_many
from tests.browser.conftest import SCREENSHOTS, Browsing
from tests.e2e.stack import Stack, eventually, now_ms


async def _open_alert(api: httpx.AsyncClient, source_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        items = await api.get("/api/v1/alerts", params={"source_id": source_id, "open": True})
        found: list[dict[str, Any]] = items.json()["items"]
        return found[0] if found else None

    return await eventually(probe, timeout_s=5.0)


async def test_page_shows_525_channel_tiles_and_134_sortable_enterprises(
    browsing: Browsing,
) -> None:
    page = await browsing.page("/")
    assert await page.locator(".tile").count() == 525
    assert await page.locator(".tile[data-state=normal]").count() >= 520
    rows = page.locator("#enterprises tbody tr")
    assert await rows.count() == 134
    await page.click("#enterprises th[data-key=id]")
    assert await rows.first.get_attribute("data-id") == "HEAT-001"
    await page.click("#enterprises th[data-key=id]")
    assert await rows.first.get_attribute("data-id") == "HEAT-134"
    # Chinese by default, zone of the browser shown with the clock
    assert "城市生命线" in await page.inner_text("h1")
    assert "Asia/Shanghai" in await page.inner_text("#clock")
    await page.click("#lang")
    assert "Control Room" in await page.inner_text("h1")
    await page.reload()
    await page.wait_for_selector("body.ready")
    assert "Control Room" in await page.inner_text("h1"), "the language choice is kept"
    await page.click("#lang")
    assert "城市生命线" in await page.inner_text("h1")
    assert browsing.errors == []


async def test_gas_reading_turns_its_tile_red_and_lists_the_alert_live(
    browsing: Browsing, city: Stack, api: httpx.AsyncClient
) -> None:
    page = await browsing.page("/")
    await page.evaluate("window.__sameDocument = true")
    started = time.monotonic()
    await publish_many(city, [gas("GAS-0042", 60.0)])
    # live, not by the 30 s full refresh: generous for a loaded machine, well under 30 s
    await page.wait_for_selector('.tile[data-id="GAS-0042"][data-state=alarm]', timeout=10_000)
    await page.wait_for_selector(
        '.alert-row[data-source="GAS-0042"][data-severity=critical][data-state=active_unacked]',
        timeout=10_000,
    )
    print(f"\nreading published → red tile and listed alert: {time.monotonic() - started:.2f} s")
    assert await page.evaluate("window.__sameDocument") is True, "no reload"
    assert browsing.loads[page] == 1
    assert int(await page.inner_text("[data-counter=critical] b")) >= 1
    alert = await _open_alert(api, "GAS-0042")
    row = page.locator(f'.alert-row[data-id="{alert["id"]}"]')
    assert "GAS-0042" in await row.inner_text()
    assert browsing.errors == []


async def test_the_drawer_shows_who_was_notified_and_how_it_went(
    browsing: Browsing, city: Stack, api: httpx.AsyncClient
) -> None:
    await publish_many(city, [gas("GAS-0077", 70.0)])
    alert = await _open_alert(api, "GAS-0077")

    async def tried() -> bool | None:
        got = (await api.get(f"/api/v1/alerts/{alert['id']}/notifications")).json()
        return True if got["attempts"] else None

    await eventually(tried, timeout_s=30.0)  # the duty webhook refused the connection
    page = await browsing.page("/")
    await page.click(f'.alert-row[data-id="{alert["id"]}"]')
    box = page.locator(f'.detail-alert[data-id="{alert["id"]}"] details.notify')
    await box.locator("summary").click()
    item = box.locator(".notify-item").first
    await item.wait_for(timeout=10_000)
    text = await item.inner_text()
    assert "告警通知" in text  # the kind, in Chinese
    assert "duty" in text
    assert browsing.errors == []


async def test_ack_on_one_screen_changes_the_alert_on_another(
    browsing: Browsing, city: Stack, api: httpx.AsyncClient
) -> None:
    ts = now_ms()
    station = REGISTRY.stations["HEAT-003-S01"]
    low_pressure = {"primary_supply_pressure_mpa": 0.3, "indoor_temp_c": 20.0}
    await publish_many(
        city,
        [
            gas("GAS-0100", 4.0, ts - 120_000),
            gas("GAS-0100", 12.0, ts - 60_000),
            gas("GAS-0100", 63.0, ts),
            gas("GAS-0210", 31.5, ts),
            gas_event("GAS-0333", "fault", ts),
            # 15 s on-delay in event time; older than the seeded record would not count
            (station_topic(station.enterprise_id, station.id), {"ts": ts, **low_pressure}),
            (station_topic(station.enterprise_id, station.id), {"ts": ts + 16_000, **low_pressure}),
        ],
    )
    alert = await _open_alert(api, "GAS-0100")
    await _open_alert(api, "HEAT-003-S01")
    first = await browsing.page("/")
    second = await browsing.page("/")
    selector = f'.alert-row[data-id="{alert["id"]}"]'
    await first.click(selector)
    card = first.locator(f'.detail-alert[data-id="{alert["id"]}"]')
    await card.locator("textarea.note").fill("已电话联系用户，开窗通风")
    await card.locator("button[data-action=ack]").click()
    await second.wait_for_selector(f"{selector}[data-state=active_acked]", timeout=10_000)
    await first.wait_for_selector(f"{selector}[data-state=active_acked]", timeout=10_000)
    stored = (await api.get(f"/api/v1/alerts/{alert['id']}")).json()
    assert stored["state"] == "active_acked"
    assert stored["audit"][-1]["action"] == "ack"
    assert stored["audit"][-1]["note"] == "已电话联系用户，开窗通风"
    # the history chart of the detail panel is drawn (with the 20/50 %LEL set-points)
    await first.wait_for_selector("#detail-chart canvas")
    await asyncio.sleep(0.6)  # let the map and charts settle for the picture
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await first.screenshot(path=str(SCREENSHOTS / "control-room.png"))
    assert browsing.errors == []
