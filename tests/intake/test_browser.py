"""Both forms in headless Chromium (Debian's ``chromium``, driven by Playwright), with and without JavaScript;
axe-core finds no WCAG 2.1 A/AA violations on any page (a page seen without JavaScript is checked as it was
served, in a second context that runs axe), and no page asks another origin for anything."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.concern import LOCAL_TIME_ZONE
from services.intake.settings import WEB_DIR
from tests.browser import CHROMIUM, CHROMIUM_ARGS, axe_script, chromium_installed
from tests.browser import axe_violations as shared_axe_violations
from tests.browser import axe_violations_of_markup as shared_markup_violations
from tests.intake.conftest import DEV_PASSWORD, LiveIntake, dev_auth, intake_settings, live_intake

pytestmark = pytest.mark.slow

if not chromium_installed():
    pytest.skip("headless Chromium is not installed (Debian: apt-get install -y chromium)", allow_module_level=True)

from playwright.async_api import Browser, BrowserContext, Page, async_playwright  # noqa: E402

AXE = WEB_DIR / "node_modules" / "axe-core" / "axe.min.js"
REFERENCE = re.compile(r"IH-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


SCREENSHOTS = Path("/tmp")


class Visit:
    """A browser context on the live intake that records every URL it requests."""

    def __init__(self, context: BrowserContext, live: LiveIntake, browser: Browser | None = None) -> None:
        self.context = context
        self.browser = browser
        self.live = live
        self.requested: list[str] = []
        self.errors: list[str] = []  # console errors (CSP violations included) and uncaught exceptions
        context.on("request", lambda request: self.requested.append(request.url))
        context.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")  # a missing asset

    async def page(self, path: str) -> Page:
        page = await self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        response = await page.goto(self.live.url + path)
        assert response is not None
        return page

    def _console(self, message: Any) -> None:
        # Chromium logs every 4xx answer as "Failed to load resource"; pages answer 4xx on purpose
        # (422, 403, 404, 429) and missing assets are caught in _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requested if not url.startswith((self.live.url + "/", "data:"))]


async def visit(browser: Browser, live: LiveIntake, *, javascript: bool) -> Visit:
    context = await browser.new_context(java_script_enabled=javascript, locale="da-DK",
                                        viewport={"width": 1280, "height": 900})
    return Visit(context, live, browser)


async def axe_violations(page: Page) -> list[str]:
    return await shared_axe_violations(page, axe_script(AXE))


async def check_page(visit_: Visit, page: Page, javascript: bool) -> None:
    """Every page: Danish, styled by the design system from our origin, and no axe violations (without
    JavaScript: the markup as served, replayed at its own address in a context that may run axe)."""
    assert await page.get_attribute("html", "lang") == "da"
    assert visit_.errors == []
    if javascript:
        assert await axe_violations(page) == []
        background = await page.evaluate("getComputedStyle(document.querySelector('.skipnav')).position")
        assert background == "absolute", "DKFDS stylesheet not applied"
    else:
        assert visit_.browser is not None
        assert await axe_violations_of_markup(visit_.browser, page.url, await page.content()) == []


async def axe_violations_of_markup(browser: Browser, url: str, markup: str) -> list[str]:
    return await shared_markup_violations(browser, url, markup, axe_script(AXE))


async def focused_element_class(page: Page) -> str:
    """The class of the focused element (read through the accessibility of the focus, not page script)."""
    return await page.locator(":focus").get_attribute("class") or ""


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_a_citizen_fills_the_public_form_and_reads_the_receipt(
        browser: Browser, live: LiveIntake, javascript: bool) -> None:
    v = await visit(browser, live, javascript=javascript)
    page = await v.page("/henvendelse")
    first_text = (await page.inner_text("main")).strip()
    assert first_text.startswith("Er nogen i akut fare, så ring 112")
    await check_page(v, page, javascript)

    await page.click("button:has-text('Send bekymringen')")  # nothing filled in
    assert await page.is_visible("text=Der mangler noget")
    await check_page(v, page, javascript)

    await page.click("button:has-text('Tilføj en person mere')")
    await page.fill("#subjects-0-name", "Mads")
    await page.fill("#subjects-0-stated_age", "16")
    await page.fill("#subjects-1-name", "Ali")
    await page.fill("#description", "Mads og Ali ser voldelige videoer og taler om at rejse ud for at kæmpe.")
    await page.click("summary:has-text('Hjælp til at beskrive bekymringen')")
    await page.check("label:has-text('Viser interesse for at rejse til udlandet')")
    await page.check("label:has-text('Det haster – noget kan ske inden for få dage')")
    await page.check("label:has-text('Privatperson')")
    await page.fill("#reporter-name", "Anna Jensen")
    await page.fill("#reporter-email", "anna@example.org")
    await page.click("button:has-text('Send bekymringen')")

    await page.wait_for_selector("#reference")
    assert REFERENCE.fullmatch((await page.inner_text("#reference")).strip())
    messages = await page.eval_on_selector_all("[data-message-id]", "els => els.map(e => e.dataset.messageId)") \
        if javascript else re.findall(r'data-message-id="([A-Z_0-9]+)"', await page.content())
    assert messages[0] == "M_ACK" and "M_UND_CITIZEN" in messages
    assert "Tak for din henvendelse" in await page.inner_text("#messages")
    await check_page(v, page, javascript)
    assert v.foreign_requests() == []
    await v.context.close()


def _call_time() -> tuple[str, str]:
    local = (datetime.now(UTC) - timedelta(hours=2)).astimezone(LOCAL_TIME_ZONE)
    return local.strftime("%d.%m.%Y"), local.strftime("%H.%M")  # as Danish staff write it


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_staff_register_a_phone_call_and_read_the_receipt(
        browser: Browser, live: LiveIntake, javascript: bool) -> None:
    v = await visit(browser, live, javascript=javascript)
    page = await v.page("/personale/telefon")  # the old address
    assert await page.is_visible("text=Log ind som medarbejder")  # 401: not signed in
    await check_page(v, page, javascript)
    await page.click("text=Log ind (udviklingslogin)")
    assert "/auth/login" in page.url and await page.is_visible("text=Kun til udvikling")  # the kit's login
    await page.select_option("#username", "udvikler-modtagelse")
    await page.fill("#password", "forkert")
    await page.click("button:has-text('Log ind')")
    assert await page.is_visible("text=Forkert brugernavn eller adgangskode")
    await page.select_option("#username", "udvikler-modtagelse")
    await page.fill("#password", DEV_PASSWORD)
    await page.click("button:has-text('Log ind')")

    assert page.url.endswith("/personale/henvendelse")  # the old address leads to the staff form
    assert await page.is_visible("text=Logget ind som Udvikler Modtagelse")
    await check_page(v, page, javascript)
    await page.click("button:has-text('Registrér henvendelsen')")  # nothing filled in
    assert await page.is_visible("text=Der mangler noget")
    await check_page(v, page, javascript)
    day, moment = _call_time()
    await page.fill("#received_at-date", day)
    await page.fill("#received_at-time", moment)
    await page.fill("#subjects-0-cpr", "010190-1234")
    await page.fill("#description", "Borgeren fortæller, at naboen samler våben og truer andre.")
    await page.check("input#crime_suspicion")
    await page.check("label:has-text('Samarbejdspartner')")
    await page.check("label:has-text('Politiet')")  # which authority: the source in the disclosure log
    await page.check("label:has-text('SSP (skole')")  # an adult: the police share it in SSP (§ 115)
    await page.fill("#reporter-necessity_assessment", "Naboen samler våben; Infohus skal vurdere en indsats nu.")
    await page.fill("#reporter-workplace", "Københavns Vestegns Politi")
    await page.fill("#reporter-phone", "43 86 14 48")
    await page.click("button:has-text('Registrér henvendelsen')")

    await page.wait_for_selector("#reference")
    assert REFERENCE.fullmatch((await page.inner_text("#reference")).strip())
    assert "Giv referencenummeret videre til den, der henvendte sig:" in await page.inner_text("main")
    await check_page(v, page, javascript)
    assert v.foreign_requests() == []
    await v.context.close()


async def test_the_other_pages_have_no_accessibility_violations(
        browser: Browser, live: LiveIntake, tmp_path: Path) -> None:
    v = await visit(browser, live, javascript=True)
    missing = await v.page("/findes-ikke")
    assert await missing.is_visible("text=Siden findes ikke")
    await check_page(v, missing, True)
    # An anonymous self-referral: no name, no contact data, and still the § 12 b guidance and the hotline.
    self_referral = await v.page("/henvendelse")
    await self_referral.fill("#subjects-0-stated_age", "30")
    await self_referral.fill("#description", "Jeg er havnet i et miljø, jeg gerne vil ud af.")
    await self_referral.check("label:has-text('Jeg er bekymret for mig selv')")
    await self_referral.click("button:has-text('Send bekymringen')")
    await self_referral.wait_for_selector("#self-referral-guidance")
    guidance = await self_referral.inner_text("#self-referral-guidance")
    assert "41 74 90 90" in guidance and "anonymt" in guidance
    assert await self_referral.is_visible("text=Du har valgt at være anonym")
    await check_page(v, self_referral, True)

    settings = intake_settings(f"sqlite+aiosqlite:///{tmp_path}/intake.db", None, rate_limit_per_minute=1,
                               rate_limit_burst=1, auth=dev_auth(cookie_secure=False))
    with live_intake(settings) as limited:
        lv = await visit(browser, limited, javascript=True)
        page = await lv.page("/henvendelse")
        await page.fill("#description", "Første henvendelse.")
        await page.check("label:has-text('Jeg vil være anonym')")
        await page.click("button:has-text('Send bekymringen')")
        await page.wait_for_selector("#reference")
        page = await lv.page("/henvendelse")
        await page.fill("#description", "Anden henvendelse.")
        await page.check("label:has-text('Jeg vil være anonym')")
        await page.click("button:has-text('Send bekymringen')")
        assert await page.is_visible("text=Vent lidt, og prøv igen")
        await check_page(lv, page, True)
        assert lv.foreign_requests() == []
        await lv.context.close()
    assert v.foreign_requests() == []
    await v.context.close()


GUIDANCE = ("ring 112", "politiet på 114", "Infohus Ishøj", "43 57 75 55",
            "mandag-onsdag kl. 8-15, torsdag kl. 8-17 og fredag kl. 8-13", "41 74 90 90", "dagligt kl. 8-22")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_the_public_form_guides_first_and_names_every_problem_at_once(
        browser: Browser, live: LiveIntake, javascript: bool) -> None:
    v = await visit(browser, live, javascript=javascript)
    page = await v.page("/henvendelse")
    guidance = page.locator("section.infohus-guidance")
    text = await guidance.inner_text()
    for line in GUIDANCE:
        assert line in text, line
    guidance_box, input_box = await guidance.bounding_box(), await page.locator("input.form-input").first.bounding_box()
    assert guidance_box and input_box and guidance_box["y"] + guidance_box["height"] <= input_box["y"]
    await check_page(v, page, javascript)
    if javascript:
        await page.screenshot(path=str(SCREENSHOTS / "intake-public-form.png"), full_page=True)

    await page.fill("#subjects-0-date_of_birth", "31.02.2010")
    await page.check("label:has-text('Fagperson i en offentlig myndighed')")
    await page.fill("#reporter-email", "ikke-en-adresse")
    await page.click("button:has-text('Send bekymringen')")  # no description, no name, no workplace either

    summary = page.locator(".infohus-error-summary")
    items = await summary.locator("li").all_inner_texts()
    assert len(items) == 5, items
    joined = "\n".join(items)
    for expected in ("Datoen findes ikke", "Beskrivelse", "Navn", "Arbejdssted", "gyldig e-mailadresse"):
        assert expected in joined, (expected, items)
    assert "infohus-error-summary" in await focused_element_class(page)  # focus moved to the summary
    first_in_main = page.locator("main > *").first
    assert "infohus-error-summary" in (await first_in_main.get_attribute("class") or "")
    await check_page(v, page, javascript)
    if javascript:
        await page.screenshot(path=str(SCREENSHOTS / "intake-public-form-errors.png"), full_page=True)
    await page.click("a[href='#subjects-0-date_of_birth']")
    assert page.url.endswith("#subjects-0-date_of_birth")
    assert v.foreign_requests() == []
    await v.context.close()


STAFF_CHANNELS = [("channel-1", "Telefon"), ("channel-2", "E-mail"), ("channel-3", "Brev"),
                  ("channel-4", "Personligt fremmøde")]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_staff_register_a_concern_by_each_channel(browser: Browser, live: LiveIntake, javascript: bool) -> None:
    v = await visit(browser, live, javascript=javascript)
    page = await v.page("/personale/henvendelse")
    await page.click("text=Log ind (udviklingslogin)")
    await page.select_option("#username", "udvikler-modtagelse")
    await page.fill("#password", DEV_PASSWORD)
    await page.click("button:has-text('Log ind')")
    assert page.url.endswith("/personale/henvendelse")

    for input_id, label in STAFF_CHANNELS:
        await page.goto(live.url + "/personale/henvendelse")
        today = datetime.now(UTC).astimezone(LOCAL_TIME_ZONE)
        assert await page.input_value("#received_at-date") == today.strftime("%d.%m.%Y")  # prefilled: now
        assert re.fullmatch(r"\d{2}:\d{2}", await page.input_value("#received_at-time"))
        assert await page.is_checked("#channel-1")  # the phone, unless staff choose another
        assert await page.inner_text(f"label[for='{input_id}']") == label
        if javascript and input_id == "channel-1":
            await page.screenshot(path=str(SCREENSHOTS / "intake-staff-form.png"), full_page=True)
        await check_page(v, page, javascript)
        await page.check(f"#{input_id}")
        await page.fill("#received_at-time", "00.00")  # as Danish staff write it; midnight is never in the future
        await page.fill("#description", f"{label}: Naboen fortæller, at hans søn vil skade andre.")
        await page.check("label:has-text('Privatperson')")
        await page.fill("#reporter-name", "Bo Nielsen")
        await page.click("button:has-text('Registrér henvendelsen')")
        await page.wait_for_selector("#reference")
        main = await page.inner_text("main")
        assert "Giv referencenummeret videre til den, der henvendte sig:" in main, main
        assert REFERENCE.fullmatch((await page.inner_text("#reference")).strip())
        await check_page(v, page, javascript)
    assert v.foreign_requests() == []
    await v.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_a_partner_authority_reports_a_concern_in_the_browser(
        browser: Browser, live: LiveIntake, javascript: bool) -> None:
    v = await visit(browser, live, javascript=javascript)
    page = await v.page("/samarbejdspartner")
    assert await page.is_visible("text=Log ind som samarbejdspartner")  # 401: not signed in
    await check_page(v, page, javascript)
    await page.click("text=Log ind (udviklingslogin)")
    await page.select_option("#username", "udvikler-samarbejdspartner")
    await page.fill("#password", DEV_PASSWORD)
    await page.click("button:has-text('Log ind')")

    assert page.url.endswith("/samarbejdspartner/henvendelse")
    assert await page.is_visible("h1:has-text('Henvendelse fra en samarbejdspartner')")
    assert await page.locator("[name=channel], [name=reporter-category], [name=received_at-date]").count() == 0
    await check_page(v, page, javascript)
    await page.click("button:has-text('Send henvendelsen')")  # nothing filled in
    assert await page.is_visible("text=Der mangler noget")
    assert await page.is_visible("#reporter-authority-error")  # beside the field
    await check_page(v, page, javascript)
    await page.fill("#subjects-0-name", "Jonas")
    await page.fill("#subjects-0-cpr", "010190-1234")
    await page.fill("#description", "Jonas har ved en ransagning haft propaganda og våben og taler om et angreb.")
    await page.check("label:has-text('Politiet')")
    await page.fill("#reporter-workplace", "Københavns Vestegns Politi")
    await page.fill("#reporter-name", "Betjent Hansen")
    await page.check("label:has-text('PSP (psykiatri')")  # an adult: the police share it in PSP (§ 115)
    await page.fill("#reporter-necessity_assessment", "Jonas planlægger et angreb; Infohus skal vurdere en indsats.")
    await page.click("button:has-text('Send henvendelsen')")

    await page.wait_for_selector("#reference")
    assert REFERENCE.fullmatch((await page.inner_text("#reference")).strip())
    assert "Tak – vi har modtaget jeres henvendelse" in await page.inner_text("h1")
    assert "M_ACK" in re.findall(r'data-message-id="([A-Z_0-9]+)"', await page.content())
    await check_page(v, page, javascript)
    assert v.foreign_requests() == []
    await v.context.close()
