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
