"""The auditor's path in headless Chromium, with and without JavaScript, on the embedded database: sign in with
the development login, read the log's integrity, find a person's disclosures by CPR number, read them in
Danish, download the CSV with its codes, open every query, sign out. axe-core finds no WCAG 2.1 A/AA
violation on any auditor page, and none is wider than 1,280 px."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from services.audit.bootstrap import AuditContainer
from services.audit.entrypoints.http import create_app
from services.audit.service_layer.queries.catalogue import SPECS
from services.audit.settings import WEB_DIR
from tests.audit.builders import seed, seed_unchecked
from tests.audit.domain.builders import OCCURRED_AT
from tests.audit.test_pages import CPR, key_of
from tests.browser import CHROMIUM, CHROMIUM_ARGS, axe_script, axe_violations, chromium_installed
from tests.workspace.conftest import PASSWORD, Served, dev_auth

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


@pytest.fixture
async def served(audit: AuditContainer) -> AsyncIterator[Served]:
    """Audit on a loopback port with the development login, as ``make run`` has it."""
    server = await Served(create_app(audit, manage_runtime=False, auth=dev_auth())).start()
    try:
        yield server
    finally:
        await server.stop()


class Auditor:
    """The auditor's browser: records script errors and requests to other origins."""

    def __init__(self, page: Page, url: str, javascript: bool) -> None:
        self.page, self.url, self.javascript = page, url, javascript
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.url + "/", "data:")):
            self.foreign.append(request.url)

    async def check(self) -> None:
        """Danish, the design system from our origin, no script errors; with script: no axe violation and no
        wider than 1,280 px (measured by script; without it the markup is the same)."""
        await self.page.wait_for_load_state("load")
        assert await self.page.get_attribute("html", "lang") == "da"
        assert await self.page.is_visible("main#main-content")
        assert self.errors == [] and self.foreign == []
        if not self.javascript:
            return
        position = await self.page.evaluate("getComputedStyle(document.querySelector('.skipnav')).position")
        assert position == "absolute", "DKFDS stylesheet not applied"
        assert await axe_violations(self.page, AXE) == [], self.page.url
        width = await self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"{self.page.url} is {width} px wide at 1,280 px"


async def seed_person(audit: AuditContainer) -> None:
    """Through audit's append service: two lawful § 115 disclosures about the person with CPR (invariants
    checked), routing's internal transfer, and a record about someone else."""
    await seed(audit, 2, subject_cpr_hmacs=[key_of(CPR)])
    await seed_unchecked(audit, 3, kind="INTERNAL_TRANSFER", legal_basis="INTERNAL_SAME_CONTROLLER",
                         cooperation_form="NONE", recipient_authority="ISHOEJ_KOMMUNE", recipient_unit="CBF_TK",
                         discloser_unit="INFOHUS_INTAKE", purpose="INFOHUS_TRIAGE", channel="SYSTEM_SHARE",
                         not_for_investigation=False, occurred_at=OCCURRED_AT - timedelta(hours=2),
                         decision_at=None, subject_cpr_hmacs=[key_of(CPR)])
    await seed(audit, 1, first_id=4, subject_cpr_hmacs=[key_of("0505051111")])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_an_auditor_finds_a_persons_disclosures_by_cpr_number(
        browser: Browser, audit: AuditContainer, served: Served, javascript: bool, tmp_path: Path) -> None:
    await seed_person(audit)
    assert await audit.sign_checkpoint() is not None
    context = await browser.new_context(java_script_enabled=javascript, locale="da-DK",
                                        viewport={"width": 1280, "height": 900}, accept_downloads=True)
    auditor = Auditor(await context.new_page(), served.url, javascript)
    page = auditor.page

    await page.goto(served.url + "/revision")
    assert "/auth/login" in page.url
    await page.select_option("#username", "udvikler-revisor")
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Log ind')")
    await page.wait_for_load_state()  # the form's answer loaded, not only its address
    assert page.url == served.url + "/revision"
    assert await page.is_visible("text=Logget ind som Udvikler Revisor (testbruger) (revisor)")
    assert await page.is_visible("h2:has-text('Loggens integritet')")
    assert await page.is_visible("text=omfatter 4 poster")
    await auditor.check()

    await page.click("nav >> text=Søg på person")
    await page.wait_for_load_state()  # the form's answer loaded, not only its address
    await page.fill("#cpr", "0102031233")  # one digit wrong: nobody
    await page.click("button:has-text('Søg')")
    await page.wait_for_load_state()  # the form's answer loaded, not only its address
    assert await page.is_visible("text=Der er ingen poster om dette CPR-nummer")
    assert CPR[:6] not in page.url
    await auditor.check()
    await page.fill("#cpr", "010203123")
    await page.click("button:has-text('Søg')")
    await page.wait_for_load_state()  # the form's answer loaded, not only its address
    assert await page.is_visible("#error-summary >> text=Skriv CPR-nummeret som 10 cifre")
    await auditor.check()

    await page.fill("#cpr", "010203-1234")
    await page.click("button:has-text('Søg')")
    await page.wait_for_load_state()  # the form's answer loaded, not only its address
    assert "subject=" in page.url and CPR[:6] not in page.url
    assert await page.is_visible("h2:has-text('Resultat: 3 rækker')")
    assert await page.is_visible("td:has-text('Intern overførsel')")
    assert await page.locator("td:has-text('Retsplejelovens § 115, stk. 2 (videregivelse til "
                              "politi/samarbejdsparter)')").count() == 2
    assert await page.locator("td:has-text('2.3.2026 kl. 11.00')").count() == 2
    await page.click("summary >> nth=0")
    assert await page.is_visible("dd:has-text('Tryghed og Kriminalitetsforebyggelse (TK)')")
    await auditor.check()

    async with page.expect_download() as download_info:
        await page.click("text=Hent som CSV")
    download = await download_info.value
    target = tmp_path / "q1.csv"
    await download.save_as(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert sorted(r["kind"] for r in rows) == ["DISCLOSURE", "DISCLOSURE", "INTERNAL_TRANSFER"]
    assert {r["legal_basis"] for r in rows} == {"RPL115_2", "INTERNAL_SAME_CONTROLLER"}

    for spec in SPECS:
        await page.goto(f"{served.url}/revision/{spec.id}")
        assert await page.is_visible(f"h1:has-text('{spec.id} – ')")
        await auditor.check()
    await page.goto(f"{served.url}/revision/Q2?recipient=KBHV_POLITI_INFOHUS")
    assert await page.is_visible("h2:has-text('Resultat:')")
    await auditor.check()
    await page.goto(f"{served.url}/revision/Q99")
    assert await page.is_visible("h1:has-text('Siden findes ikke')")
    await auditor.check()
    await page.goto(served.url + "/revision")
    assert await page.is_visible("text=ingen brud eller huller fundet")  # Q11 was run above
    await auditor.check()

    await page.click("button:has-text('Log ud')")
    assert "/auth/login" in page.url
    await page.goto(served.url + "/revision")
    assert "/auth/login" in page.url
    await context.close()


@pytest.mark.parametrize("javascript", [True], ids=["js"])
async def test_the_development_login_is_a_page_of_the_design_system(
        browser: Browser, served: Served, javascript: bool) -> None:
    """The kit's login page on the shared base layout: styled, no axe violation, a wrong password said in an
    alert on the page."""
    context = await browser.new_context(java_script_enabled=javascript, locale="da-DK",
                                        viewport={"width": 1280, "height": 900})
    auditor = Auditor(await context.new_page(), served.url, javascript)
    await auditor.page.goto(served.url + "/auth/login")
    assert await auditor.page.is_visible("h1:has-text('Udviklingslogin')")
    await auditor.check()
    await auditor.page.fill("#password", "forkert")
    await auditor.page.click("button:has-text('Log ind')")
    assert await auditor.page.is_visible("[role=alert] >> text=Forkert brugernavn eller adgangskode.")
    await auditor.check()
    await context.close()
