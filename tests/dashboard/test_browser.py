"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) on a phone-sized
screen: log in with a chat link, read the tables and a chart, move between pages, log out.

Chromium is `/usr/bin/chromium` or `CHROMIUM_PATH`; Playwright never downloads a browser. Without
Chromium the test skips, except under CI (`CI=true`), where `.ci/run` installs it and a missing
browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page, ViewportSize, async_playwright, expect

from storage.database import create_database
from storage.uow import session_factory
from tests.dashboard.conftest import NOW, ask_link, make_app, populate

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
PHONE: ViewportSize = {"width": 390, "height": 844}


def chromium() -> str:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
async def served(
    tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[tuple[str, web.Application]]:
    """The app on a free local port over a seeded SQLite database: (base URL, app)."""
    target = tmp_path / "browser.db"
    shutil.copy(sqlite_template, target)
    url = f"sqlite:///{target}"
    database = create_database(url)
    await populate(session_factory(database))
    await database.dispose()
    app = make_app(url, lambda: NOW)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", app
    finally:
        await runner.cleanup()


async def fits_the_screen(page: Page) -> None:
    """Nothing but the tables' own scrolling boxes is wider than the phone."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


async def test_admin_logs_in_reads_pages_and_logs_out(
    served: tuple[str, web.Application],
) -> None:
    executable = chromium()
    base, app = served
    path = await ask_link(app)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            context = await browser.new_context(viewport=PHONE, locale="id-ID")
            page = await context.new_page()

            # Not logged in: the help page says how to get a link.
            await page.goto(f"{base}/admin/charts")
            assert page.url == f"{base}/admin/help"
            await expect(page.get_by_role("heading", name="Masuk ke dasbor")).to_be_visible()

            await page.goto(f"{base}{path}")
            await page.get_by_role("button", name="Masuk").click()
            await expect(page.get_by_role("heading", name="Unit kerja hari ini")).to_be_visible()
            assert page.url == f"{base}/admin"
            cookies = await context.cookies()
            [session] = [c for c in cookies if c["name"] == "kinerja_admin"]
            assert session["httpOnly"] and session["sameSite"] == "Strict"

            units = page.locator("#units")
            await expect(units.locator("tbody tr")).to_have_count(3)
            kominfo = units.locator("tbody tr", has_text="DISKOMINFO")
            await expect(kominfo.locator("td")).to_have_text(
                ["25/11 10.00 WIB", "4", "1 (25%)", "2"]
            )
            await expect(
                page.get_by_role("columnheader", name="Menunggu persetujuan")
            ).to_be_visible()
            await fits_the_screen(page)

            nav = page.get_by_role("navigation", name="Menu dasbor")
            await nav.get_by_role("link", name="Grafik").click()
            chart = page.get_by_role("img", name="Menit kegiatan per unit, November 2026")
            await expect(chart).to_be_visible()
            await expect(chart.locator("rect")).to_have_count(3)
            box = await chart.bounding_box()
            assert box is not None and 0 < box["width"] <= PHONE["width"]
            await expect(nav.get_by_role("link", name="Grafik")).to_have_attribute(
                "aria-current", "page"
            )
            await fits_the_screen(page)

            await nav.get_by_role("link", name="Belum mencatat").click()
            await expect(
                page.get_by_role("rowheader", name="Dewi Lestari, S.Kom.")
            ).to_be_visible()
            await expect(page.get_by_text("Nurul Hidayah")).to_have_count(0)

            await nav.get_by_role("link", name="Persetujuan").click()
            await expect(page.locator("#approvals tbody tr")).to_have_text(
                ["Drs. Ahmad Fauzi, M.Si. DISKOMINFO 2 23/11 09.00 WIB 2 hari 1 jam"],
                use_inner_text=True,
            )

            await nav.get_by_role("link", name="Siaran").click()
            await expect(page.locator("#broadcasts progress")).to_have_attribute("value", "2")

            await page.get_by_role("link", name="English").click()
            await expect(page.get_by_role("heading", name="Broadcast progress")).to_be_visible()

            await page.get_by_role("button", name="Log out").click()
            await expect(page.get_by_role("heading", name="You are logged out")).to_be_visible()
            await page.goto(f"{base}/admin")
            assert page.url == f"{base}/admin/help"
            # The link was spent by the login.
            await page.goto(f"{base}{path}")
            await expect(page.get_by_role("heading", name="Link already used")).to_be_visible()
        finally:
            await browser.close()
