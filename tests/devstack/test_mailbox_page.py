"""The local mailbox's page in headless Chromium: the design system's base layout, no axe violation but the
one it means to have: it reloads itself every 5 seconds (a developer watches mails arrive; a development tool
only, never shown to staff or citizens)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from services.workspace.settings import WEB_DIR
from tests.browser import CHROMIUM, CHROMIUM_ARGS, axe_script, axe_violations, chromium_installed

pytestmark = pytest.mark.slow

if not chromium_installed():
    pytest.skip("headless Chromium is not installed (make browser-tools)", allow_module_level=True)

from playwright.async_api import async_playwright  # noqa: E402

from devtools.devstack.mailbox import LocalMailbox  # noqa: E402


async def test_the_mailbox_page_is_a_page_of_the_design_system(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "infohus@kommune.example", "tk@kommune.example", "Ny sag"
    message.set_content("Der er en ny sag i Infohus.\n")
    async with LocalMailbox(tmp_path / "mails") as box, async_playwright() as playwright:
        await aiosmtplib.send(message, hostname="127.0.0.1", port=box.smtp_port)
        await box.wait_for(1, timeout=5)
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="da-DK", viewport={"width": 1280, "height": 900})
            await page.goto(box.web_url)
            assert await page.is_visible("td:has-text('Ny sag')")
            position = await page.evaluate("getComputedStyle(document.querySelector('.skipnav')).position")
            assert position == "absolute", "DKFDS stylesheet not applied"
            violations = await axe_violations(page, axe_script(WEB_DIR / "node_modules" / "axe-core" / "axe.min.js"))
            assert [v for v in violations if not v.startswith("meta-refresh ")] == []
        finally:
            await browser.close()
