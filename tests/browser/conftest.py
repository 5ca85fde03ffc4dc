"""Fixtures of the browser tests: one real ``lifeline up`` for the folder (embedded broker),
seeded with a quiet city, and Debian's Chromium driven by Playwright.

Chromium is never downloaded (no ``playwright install``): the tests launch
``/usr/bin/chromium`` and skip without it, unless ``LIFELINE_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    async_playwright,
)

from tests.browser.city import publish_many, quiet_city
from tests.e2e.stack import Stack
from tests.services import free_port, require_binary

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_binary(CHROMIUM)


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Stack]:
    """A running ``lifeline up`` whose 525 channels and 1,500 stations have reported."""
    # development mode: the embedded broker lets the test publisher in anonymously; the
    # duty webhook is a port nobody listens on, so its notifications fail and retry
    # (the drawer shows the history either way)
    root = tmp_path_factory.mktemp("browser")
    notify = root / "notify.yaml"
    notify.write_text(
        "receivers:\n"
        f"  - {{name: duty, type: webhook, url: 'http://127.0.0.1:{free_port()}/hook'}}\n"
        "routes:\n  - {match: {severity: [critical]}, notify: [duty]}\n"
    )
    stack = Stack(
        data_dir=root / "data",
        env={"LIFELINE_DEV_MODE": "1", "LIFELINE_NOTIFY_FILE": str(notify)},
    )
    stack.start()
    try:
        asyncio.run(_seed(stack))
        yield stack
    finally:
        stack.stop()


async def _seed(stack: Stack) -> None:
    await publish_many(stack, quiet_city())
    async with httpx.AsyncClient(base_url=stack.api, headers=stack.headers) as api:
        for _ in range(100):
            page = (await api.get("/api/v1/channels", params={"state": "normal"})).json()
            if page["total"] == 525:
                return
            await asyncio.sleep(0.1)
    raise TimeoutError("the quiet city did not reach the store")


@pytest.fixture
async def api(city: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=city.api, headers=city.headers, timeout=10.0) as client:
        yield client


OPERATOR: Final = ("operator", "lifeline-dev-operator")  # development-mode account
CREW: Final = ("crew01", "lifeline-dev-crew")  # crew-01, development-mode account


@dataclass
class Browsing:
    """A headless Chromium; every page gets a fresh, empty browser context (no token, no
    storage) and logs in through the page's own login form, as a person would. Every
    page's console errors and uncaught exceptions are collected in ``errors``, and its
    document loads are counted in ``loads``: a page that loads itself again fails."""

    browser: Browser
    base_url: str
    errors: list[str] = field(default_factory=list)
    loads: dict[Page, int] = field(default_factory=dict)

    async def page(
        self,
        path: str = "/",
        width: int = 1920,
        height: int = 1080,
        mobile: bool = False,
        login: tuple[str, str] = OPERATOR,
    ) -> Page:
        """Open ``path`` in an empty browser, log in through its form, wait until ready."""
        context: BrowserContext = await self.browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1 if not mobile else 2,
            is_mobile=mobile,
            has_touch=mobile,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        page = await context.new_page()
        self.loads[page] = 0
        page.on("load", self._loaded)
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        await page.goto(self.base_url + path)
        await log_in(page, *login)
        await page.wait_for_selector("body.ready", timeout=15_000)
        assert self.loads[page] == 1, f"{path} loaded {self.loads[page]} times"
        return page

    def _loaded(self, page: Page) -> None:
        self.loads[page] += 1

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {message.location}")

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"pageerror: {error}")


async def log_in(page: Page, username: str, password: str) -> None:
    """Log in through the page's login form (the only way the browser tests log in)."""
    form = page.locator("#login")
    await form.locator("input[name=username]").fill(username)
    await form.locator("input[name=password]").fill(password)
    await form.locator("button[type=submit]").click()
    await form.wait_for(state="detached", timeout=10_000)


@pytest.fixture
async def browsing(city: Stack, chromium_path: str) -> AsyncIterator[Browsing]:
    # ``launch`` gives every browser a fresh temporary user-data dir of its own (removed
    # at close); two contexts of it are two independent operators.
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield Browsing(launched, city.api)
        finally:
            await launched.close()
