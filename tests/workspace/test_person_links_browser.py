"""'Samme person' in headless Chromium, with and without JavaScript: a tovholder links a concern to the case
and unlinks it again on the case page; axe-core finds no WCAG 2.1 A/AA violation on the page at each step
(with a refused form too)."""

from __future__ import annotations

import pytest

from tests.browser import chromium_installed
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_person_links import FIRST_STORY, SECOND_STORY, two_cases

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("databases", ["sqlite"], indirect=True)]

if not chromium_installed():
    pytest.skip("headless Chromium is not installed (make browser-tools)", allow_module_level=True)

from playwright.async_api import Browser  # noqa: E402

from tests.workspace.test_browser import browser, person  # noqa: E402, F401 - the module's browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_a_tovholder_links_and_unlinks_samme_person_in_the_browser(
        browser: Browser, workspace: WorkspaceUnderTest, javascript: bool) -> None:  # noqa: F811
    ws = workspace
    (case_path, _first), (_other_path, second) = await two_cases(ws)
    tovholder = await person(browser, ws, javascript)
    page = tovholder.page
    await tovholder.sign_in_via(case_path, "udvikler-tovholder-kommune")
    await page.wait_for_selector("text=Henvendelser om personen")
    await tovholder.check()

    await page.fill("#link-reference", second)
    await page.click("button:has-text('Knyt til sagen')")  # no reason: refused beside the field
    await page.wait_for_selector("#link-reason-error")
    await tovholder.check()
    await page.fill("#link-reference", second)
    await page.fill("#link-reason", "Samme elev ifølge skolen")
    await page.click("button:has-text('Knyt til sagen')")
    await page.wait_for_selector("text=Henvendelsen er knyttet til sagen som samme person.")
    await page.wait_for_selector(f"text={SECOND_STORY}")
    await tovholder.check()

    await page.fill("textarea[id^='unlink-reason-']", "Politiet: to forskellige elever")
    await page.click("button:has-text('Fjern fra sagen')")
    await page.wait_for_selector("text=Henvendelsen er fjernet fra sagen og har fået sin egen sag.")
    await page.wait_for_selector(f"text={FIRST_STORY}")
    assert await page.locator(f"text={SECOND_STORY}").count() == 0
    await tovholder.check()
