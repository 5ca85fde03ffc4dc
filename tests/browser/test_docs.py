"""``/docs`` works offline: Swagger UI's page names no external host, its assets come
from this server, and in a browser that may reach nothing but the server it renders
the API's operations."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Route

from tests.browser.conftest import Browsing
from tests.e2e.stack import Stack

_URL_IN_PAGE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


async def test_docs_page_and_its_assets_come_from_the_server_itself(city: Stack) -> None:
    async with httpx.AsyncClient(base_url=city.api, timeout=10.0) as anonymous:
        page = await anonymous.get("/docs")
        assert page.status_code == 200
        assert "://" not in page.text, "the docs page names an external host"
        urls = _URL_IN_PAGE.findall(page.text)
        assert "/docs/assets/swagger-ui-bundle.js" in urls
        assert "/docs/assets/swagger-ui.css" in urls
        for url in urls:
            asset = await anonymous.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 0, url
        assert (await anonymous.get("/docs/assets/index.html")).status_code == 404
        assert (await anonymous.get("/redoc")).status_code == 404  # ReDoc needs a CDN


async def test_docs_render_in_a_browser_that_reaches_only_the_server(
    browsing: Browsing, city: Stack
) -> None:
    origin = urlsplit(city.api).netloc
    outside: list[str] = []

    async def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    context = await browsing.browser.new_context()
    await context.route("**/*", offline)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(city.api + "/docs")
    await page.wait_for_selector(".swagger-ui .info .title:has-text('Lifeline API')")
    await page.wait_for_selector('.opblock[id*="alerts"]')
    assert await page.locator(".opblock").count() > 30
    assert outside == []
    assert errors == []
    await context.close()
