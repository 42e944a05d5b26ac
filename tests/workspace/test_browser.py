"""Each role's main path in headless Chromium, with and without JavaScript: sign in from a mail's link,
read, act, see the result; axe-core finds no WCAG 2.1 A/AA violation on any staff page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.workspace.settings import WEB_DIR
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_script,
    axe_violations,
    axe_violations_of_markup,
    chromium_installed,
)
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest
from tests.workspace.test_flow import STORY, concern, link_path, mail_to

# The pages in a browser on the embedded database; both databases behind these pages are covered over HTTP
# (tests/workspace/test_flow.py, test_disclosures.py; tests/audit/test_pages.py).
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("databases", ["sqlite"], indirect=True)]

if not chromium_installed():
    pytest.skip("headless Chromium is not installed (make browser-tools)", allow_module_level=True)

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402

AXE = axe_script(WEB_DIR / "node_modules" / "axe-core" / "axe.min.js")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


class Person:
    """One staff member's browser: records console errors and requests to other origins."""

    def __init__(self, page: Page, ws: WorkspaceUnderTest, javascript: bool, browser: Browser) -> None:
        self.page, self.ws, self.javascript, self.browser = page, ws, javascript, browser
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.ws.url + "/", "data:")):
            self.foreign.append(request.url)

    async def sign_in_via(self, path: str, user: str) -> None:
        await self.page.goto(self.ws.url + path)
        assert "/auth/login" in self.page.url
        await self.page.select_option("#username", user)
        await self.page.fill("#password", PASSWORD)
        await self.page.click("button:has-text('Log ind')")
        assert self.page.url.startswith(self.ws.url + path.split("?")[0]), self.page.url

    async def check(self) -> None:
        """Danish, the design system's stylesheet from our origin, no script errors, no axe violations (without
        JavaScript: on the markup as served, replayed where axe may run); width measured with JavaScript."""
        await self.page.wait_for_load_state("load")
        assert await self.page.get_attribute("html", "lang") == "da"
        assert self.errors == [] and self.foreign == []
        if not self.javascript:
            markup = await self.page.content()
            assert await axe_violations_of_markup(self.browser, self.page.url, markup, AXE) == []
            return
        position = await self.page.evaluate("getComputedStyle(document.querySelector('.skipnav')).position")
        assert position == "absolute", "DKFDS stylesheet not applied"
        assert await axe_violations(self.page, AXE) == []
        width = await self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"the page is {width} px wide at 1,280 px"


async def person(browser: Browser, ws: WorkspaceUnderTest, javascript: bool) -> Person:
    context = await browser.new_context(java_script_enabled=javascript, locale="da-DK",
                                        viewport={"width": 1280, "height": 900}, bypass_csp=False)
    return Person(await context.new_page(), ws, javascript, browser)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_tovholdere_triage_and_straxen_assesses_in_the_browser(
        browser: Browser, workspace: WorkspaceUnderTest, javascript: bool) -> None:
    ws = workspace
    async with ws.system.http() as api:
        assert (await api.post("/api/v1/concerns", json=concern())).status_code == 201
    mails = await ws.mailbox.wait_for(2, timeout=30)
    case_path, underretning_path = link_path(mail_to(mails, "tk@")), link_path(mail_to(mails, "underretninger@"))

    municipal = await person(browser, ws, javascript)
    await municipal.sign_in_via(case_path, "udvikler-tovholder-kommune")
    await municipal.page.wait_for_selector(f"text={STORY}")
    await municipal.page.wait_for_selector("text=Logget ind som")
    await municipal.check()
    await municipal.page.click("button:has-text('Underskriv visitation')")  # nothing chosen
    await municipal.page.wait_for_selector("text=Vælg et udfald.")
    await municipal.check()
    await municipal.page.check("label:has-text('Inden for infohusets område')")
    await municipal.page.click("button:has-text('Underskriv visitation')")
    await municipal.page.wait_for_selector("text=Din visitation er registreret.")
    await municipal.page.wait_for_selector("text=afventer politiets tovholder")
    await municipal.check()
    await municipal.page.goto(ws.url + case_path + "/videregivelse")
    await municipal.page.click("button:has-text('Registrér')")  # nothing chosen: every problem at once
    await municipal.page.wait_for_selector("#d-counterpart-error")
    await municipal.check()
    await municipal.page.select_option("#d-counterpart", "KBHV_POLITI_INFOHUS")
    await municipal.page.select_option("#d-basis", "RPL115_2")
    await municipal.page.select_option("#d-purpose", "CRIMINAL_REPORT")
    await municipal.page.fill("#d-description", "Politiet efterforsker truslerne")
    await municipal.page.check("label:has-text('Bekymringens beskrivelse')")
    await municipal.page.fill("#d-necessity", "Politiet skal kende bekymringen for at efterforske truslerne.")
    await municipal.page.click("button:has-text('Registrér')")
    await municipal.page.wait_for_selector("#d-purpose-error:has-text('I3')")
    await municipal.check()
    await municipal.page.goto(ws.url + "/sager")
    await municipal.page.wait_for_selector("h1:has-text('Sager')")
    await municipal.check()

    police = await person(browser, ws, javascript)
    await police.sign_in_via(case_path, "udvikler-tovholder-politi")
    await police.page.check("label:has-text('Inden for infohusets område')")
    await police.page.click("button:has-text('Underskriv visitation')")
    await police.page.wait_for_selector("dd:has-text('Visiteret – inden for infohusets område')")
    await police.page.wait_for_selector("button:has-text('Start screening')")
    await police.check()
    await walk_to_hand_over(police)

    straxen = await person(browser, ws, javascript)
    await straxen.sign_in_via(underretning_path, "udvikler-straxen")
    await straxen.page.wait_for_selector(f"text={STORY}")
    await straxen.check()
    await straxen.page.check("label:has-text('Nej, ikke akut')")
    await straxen.page.click("button:has-text('Registrér vurdering')")
    await straxen.page.wait_for_selector("text=Vurderingen er registreret.")
    await straxen.check()
    await straxen.page.click("button:has-text('Send kvittering')")
    await straxen.page.wait_for_selector("text=Kvitteringsmailen er bestilt")
    await straxen.check()
    await straxen.page.goto(ws.url + "/underretninger")
    await straxen.page.wait_for_selector("h1:has-text('Underretninger')")
    await straxen.check()


async def walk_to_hand_over(p: Person) -> None:
    """Screening, assessment and recommendation, then the hand-over that records its disclosure."""
    page = p.page
    await page.click("button:has-text('Start screening')")
    await page.check("label:has-text('Skole og uddannelse')")
    await page.check("label:has-text('Nej, der er nok oplysninger')")
    await page.click("button:has-text('Afslut screening')")
    await page.check("#assessment-at-risk-1")
    await page.click("button:has-text('Afgiv helhedsvurdering')")
    await page.fill("#recommendation-measure", "Mentorforløb")
    await page.fill("#recommendation-authority", "Ishøj Kommune, SSP")
    await page.click("button:has-text('Afgiv anbefaling')")
    await page.click("a:has-text('Overdrag sagen')")
    await p.check()
    await page.select_option("#d-counterpart", "ISHOEJ_SSP")
    await page.select_option("#d-basis", "RPL115_2")
    await page.fill("#d-description", "Overdragelse til SSP med anbefaling af mentorforløb")
    await page.fill("#d-necessity", "SSP skal kende bekymringen for at kunne tilbyde mentorforløbet.")
    await page.click("button:has-text('Overdrag og registrér videregivelsen')")
    await page.wait_for_selector("text=Sagen er overdraget, og videregivelsen er registreret i loggen.")
    await page.wait_for_selector("td:has-text('SSP-NU Ishøj')")
    await p.check()
