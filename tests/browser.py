"""Headless Chromium (Debian's ``chromium``, driven by Playwright) and axe-core, shared by the suites
that look at pages as their users do."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


def axe_script(path: Path) -> str:
    if not path.is_file():
        pytest.fail(f"axe-core is missing at {path}: run `make install`")
    return path.read_text(encoding="utf-8")


async def axe_violations(page: Any, script: str) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page (injected through DevTools, so the CSP allows it)."""
    await page.evaluate(script)
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA)
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in result["violations"]]


async def axe_violations_of_markup(browser: Any, url: str, markup: str, script: str) -> list[str]:
    """axe on a page as it was served to a browser without JavaScript: the markup replayed at its own
    address in a context that may run axe (the served page itself can run no script)."""
    context = await browser.new_context(java_script_enabled=True, locale="da-DK",
                                        viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        await page.route(url, lambda route: route.fulfill(status=200, body=markup,
                                                          content_type="text/html; charset=utf-8"))
        await page.goto(url)
        return await axe_violations(page, script)
    finally:
        await context.close()
