"""A new user on an empty browser: the control room and the crew page ask for a login,
are logged into through their form, and never reload themselves; a session that ends
while a page is open brings the form back once, in place."""

from __future__ import annotations

from tests.browser.conftest import CREW, Browsing, log_in

_LOG_OUT_SERVER_SIDE = """() => fetch("/api/v1/auth/logout", {
  method: "POST",
  headers: {Authorization: `Bearer ${sessionStorage.getItem("lifeline.token")}`},
}).then((response) => response.status)"""


async def test_empty_browser_logs_into_the_control_room_through_the_form(
    browsing: Browsing,
) -> None:
    page = await browsing.page("/")  # empty context, operator through the form
    assert await page.locator(".tile").count() == 525
    assert await page.locator("#enterprises tbody tr").count() == 134
    assert await page.get_attribute("body", "data-role") == "operator"
    await page.wait_for_selector("#live.on")
    assert browsing.loads[page] == 1, "the control room reloaded itself"
    assert browsing.errors == []


async def test_empty_browser_logs_into_the_crew_page_through_the_form(
    browsing: Browsing,
) -> None:
    page = await browsing.page("/crew", width=390, height=844, mobile=True, login=CREW)
    assert await page.get_attribute("body", "data-role") == "crew"
    assert await page.input_value("#crew-id") == "crew-01"
    await page.wait_for_selector("#live.on")
    assert browsing.loads[page] == 1, "the crew page reloaded itself"
    assert browsing.errors == []


async def test_a_session_ended_elsewhere_brings_the_form_back_once_without_a_reload(
    browsing: Browsing,
) -> None:
    page = await browsing.page("/")
    assert await page.evaluate(_LOG_OUT_SERVER_SIDE) == 204
    await page.click('.tile[data-id="GAS-0042"]')  # the next API call answers 401
    await page.wait_for_selector("#login")
    assert await page.locator("#login").count() == 1
    await log_in(page, "operator", "lifeline-dev-operator")
    # the refused call is made again with the new session: the detail panel opens
    await page.wait_for_selector('#detail-title:has-text("GAS-0042")')
    assert await page.locator(".tile").count() == 525
    assert browsing.loads[page] == 1, "the 401 reloaded the page"
    # Chromium logs the refused request itself; nothing else may go wrong
    refused = "status of 401 (Unauthorized)"
    assert [e for e in browsing.errors if refused not in e] == []
