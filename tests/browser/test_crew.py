"""The field-crew page on a phone-sized screen: an incident assigned by the control room
is acknowledged on arrival and resolved with a cause and a note, by a crew account that
logs in on the phone (its actions carry its own name)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.city import REGISTRY, gas, publish_many
from tests.browser.conftest import SCREENSHOTS, Browsing
from tests.e2e.stack import Stack, eventually


async def test_crew_arrives_and_resolves_an_assigned_incident_on_a_phone(
    browsing: Browsing, city: Stack, api: httpx.AsyncClient
) -> None:
    await publish_many(city, [gas("GAS-0250", 58.0), gas("GAS-0251", 27.0)])

    async def raised() -> list[dict[str, Any]] | None:
        found = []
        for source in ("GAS-0250", "GAS-0251"):
            page = await api.get("/api/v1/alerts", params={"source_id": source, "open": True})
            found += page.json()["items"]
        return found if len(found) == 2 else None

    alerts = await eventually(raised, timeout_s=5.0)
    for alert in alerts:
        response = await api.post(
            f"/api/v1/alerts/{alert['id']}/assign",
            json={"actor": "op-li", "assignee": "crew-07", "note": "请立即到场"},
        )
        assert response.status_code == 200
    alert = next(a for a in alerts if a["source_id"] == "GAS-0250")
    card_selector = f'.incident[data-id="{alert["id"]}"]'

    account = {
        "username": "crew07",
        "role": "crew",
        "crew_id": "crew-07",
        "password": "crew-07-phone-pass",
    }
    assert (await api.post("/api/v1/users", json=account)).status_code == 201
    page = await browsing.page(
        "/crew", width=390, height=844, mobile=True, login=("crew07", account["password"])
    )
    card = page.locator(card_selector)
    await card.wait_for()
    assert await page.locator(".incident").count() == 2
    text = await card.inner_text()
    channel = REGISTRY.channels["GAS-0250"]
    assert channel.address in text
    assert channel.district in text
    assert "燃气泄漏" in text
    assert "58.0" in text

    await card.locator("button[data-action=arrive]").click()
    await page.wait_for_selector(f"{card_selector}[data-state=active_acked]", timeout=10_000)
    await card.locator("button[data-action=resolve]").click()
    await card.locator("input[value=real_leak]").check()
    await card.locator("textarea[name=note]").fill("厨房软管老化漏气，已更换并复测 0 %LEL")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "crew.png"), full_page=True)
    await card.locator("button[type=submit]").click()
    await card.wait_for(state="detached", timeout=10_000)
    assert await page.locator(".incident").count() == 1

    stored = (await api.get(f"/api/v1/alerts/{alert['id']}")).json()
    assert stored["state"] == "closed"
    assert stored["cause"] == "real_leak"
    close, ack = stored["audit"][-1], stored["audit"][-2]
    assert (ack["action"], ack["actor"]) == ("ack", "crew07")
    assert (close["action"], close["actor"], close["cause"]) == ("close", "crew07", "real_leak")
    assert close["note"] == "厨房软管老化漏气，已更换并复测 0 %LEL"

    # the crew id is the account's, and the login lasts for this tab
    await page.goto(city.api + "/crew")
    await page.wait_for_selector("body.ready")
    assert await page.input_value("#crew-id") == "crew-07"
    assert browsing.errors == []
