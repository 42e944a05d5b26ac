"""The administrator's pages: a mail that was not delivered is shown and sent again from the browser (headless
Chromium, axe, 1,280 px), the rules in force and the roles; a tovholder is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.notify.adapters.repository import Delivery
from services.notify.domain.delivery import State
from services.workspace.settings import WEB_DIR
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_script,
    axe_violations,
    axe_violations_of_markup,
    chromium_installed,
)
from tests.waiting import eventually
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest
from tests.workspace.test_flow import concern

pytestmark = pytest.mark.slow

REFUSED = "550 5.1.1 Mailbox unavailable"


async def _one_dead_lettered(ws: WorkspaceUnderTest) -> str:
    """A concern's mail, sent, then marked dead-lettered as the mail server's refusal would leave it."""
    async with ws.system.http() as api:
        assert (await api.post("/api/v1/concerns", json=concern())).status_code == 201
    await ws.mailbox.wait_for(2, timeout=30)
    target: Delivery = (await eventually(lambda: _sent(ws)))[0]
    async with ws.system.notify.unit_of_work() as tx:
        assert await tx.deliveries.mark_dead_lettered(target.notification_id, None, now=ws.system.notify.now(),
                                                      error=REFUSED)
        await tx.commit()
    reference: str | None = target.reference
    assert reference
    return reference


async def _sent(ws: WorkspaceUnderTest) -> list[Delivery]:
    async with ws.system.notify.unit_of_work() as tx:
        return await tx.deliveries.listing(state=State.SENT, limit=10)


async def test_a_tovholder_may_not_open_the_administration(workspace: WorkspaceUnderTest) -> None:
    async with workspace.browser() as client:
        await workspace.sign_in(client, "udvikler-tovholder-kommune")
        for path in ("/administration", "/administration/mails", "/administration/regler", "/administration/roller"):
            page = await client.get(path)
            assert page.status_code == 403, path
            assert "Ingen adgang" in page.text


if chromium_installed():
    from playwright.async_api import async_playwright

    AXE = axe_script(WEB_DIR / "node_modules" / "axe-core" / "axe.min.js")

    async def _check(page: object, javascript: bool) -> None:
        """Without JavaScript axe runs on the markup as served, replayed where it may run."""
        from playwright.async_api import Page
        assert isinstance(page, Page)
        await page.wait_for_load_state("load")
        assert await page.get_attribute("html", "lang") == "da"
        if not javascript:
            markup = await page.content()
            assert await axe_violations_of_markup(page.context.browser, page.url, markup, AXE) == []
            return
        assert await axe_violations(page, AXE) == []
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"the page is {width} px wide at 1,280 px"

    @pytest.fixture
    async def chromium() -> AsyncIterator[object]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            await browser.close()

    @pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
    @pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # both databases: the HTTP tests
    async def test_an_administrator_sends_a_dead_lettered_mail_again_in_the_browser(
            chromium: object, workspace: WorkspaceUnderTest, javascript: bool) -> None:
        from playwright.async_api import Browser
        assert isinstance(chromium, Browser)
        ws = workspace
        reference = await _one_dead_lettered(ws)
        context = await chromium.new_context(java_script_enabled=javascript, locale="da-DK",
                                             viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(ws.url + "/administration/mails")
        await page.select_option("#username", "udvikler-administrator")
        await page.fill("#password", PASSWORD)
        await page.click("button:has-text('Log ind')")
        assert page.url.startswith(ws.url + "/administration/mails"), page.url
        row = page.locator("tr", has_text=reference)
        assert await row.locator("text=Kunne ikke leveres").is_visible()
        assert await row.locator(f"text={REFUSED}").is_visible()
        await _check(page, javascript)
        await row.locator("button:has-text('Send igen')").click()
        await page.wait_for_selector(f"[role=status]:has-text('{reference}: Sendes igen.')")
        await _check(page, javascript)
        await ws.mailbox.wait_for(3, timeout=30)  # sent again, exactly once more

        await page.click("nav >> text=Administration")
        await page.click("text=Regler i kraft")
        assert await page.is_visible("dt:has-text('I kraft siden')")
        assert await page.is_visible(f"dd:has-text('{ws.system.routing.config.version}')")
        await _check(page, javascript)
        await page.goto(ws.url + "/administration/roller")
        assert await page.is_visible("h3:has-text('Kommunens tovholder')")
        assert await page.is_visible("text=Se mails, der ikke blev leveret, og sende dem igen")
        await _check(page, javascript)
        assert errors == []
