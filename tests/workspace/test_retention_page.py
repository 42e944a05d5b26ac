"""The administrator's page of retention and legal holds, over real HTTP on SQLite and PostgreSQL: it shows
what each service's next run deletes, sets a hold on a case (routing keeps it and the other services learn
of it), refuses a hold without a reason or on a case that does not exist beside the field, shows a person's
hold without the CPR number, and lifts a hold with a reason; a tovholder may not open it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from services.intake.adapters.orm import concern_retention
from services.routing.adapters.orm import infohus_cases
from tests.browser import chromium_installed
from tests.waiting import eventually
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest
from tests.workspace.test_flow import concern, follow, post_form

pytestmark = pytest.mark.slow

PAGE = "/administration/sletning"


async def _case_id(ws: WorkspaceUnderTest) -> str:
    async with ws.system.http() as api:
        assert (await api.post("/api/v1/concerns", json=concern())).status_code == 201

    async def found() -> str | None:
        async with ws.system.routing.unit_of_work() as uow:
            return (await uow.session.execute(select(infohus_cases.c.case_id))).scalar_one_or_none()

    case_id: str = await eventually(found)
    return case_id


async def _held_in_intake(ws: WorkspaceUnderTest) -> set[str]:
    async with ws.system.intake.unit_of_work() as uow:
        return {str(c) for c in (await uow.session.execute(
            select(concern_retention.c.concern_id).where(concern_retention.c.held.is_(True)))).scalars()}


async def test_an_administrator_sets_and_lifts_a_hold(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    case_id = await _case_id(ws)
    async with ws.browser() as client:
        await ws.sign_in(client, "udvikler-administrator")
        overview = await client.get("/administration")
        assert f'href="{PAGE}"' in overview.text
        page = await client.get(PAGE)
        assert page.status_code == 200 and "Det sletter næste kørsel" in page.text
        assert "Sager (fordeling)" in page.text and "Videregivelsesloggen" in page.text
        assert "Ingen sletteforbud er i kraft" in page.text

        refused = await post_form(client, page, f"{PAGE}/sletteforbud",
                                  {"scope": "CASE", "target": case_id, "reason": ""})
        assert refused.status_code == 422 and 'id="hold-reason-error"' in refused.text
        unknown = await post_form(client, page, f"{PAGE}/sletteforbud", {
            "scope": "CASE", "target": "00000000-0000-0000-0000-000000000007", "reason": "Klage modtaget"})
        assert unknown.status_code == 404 and "Der findes ingen sag med det id" in unknown.text

        done = await follow(client, await post_form(client, page, f"{PAGE}/sletteforbud", {
            "scope": "CASE", "target": case_id, "reason": "Klage til Ankestyrelsen"}))
        assert "Sletteforbuddet er sat" in done.text and "Klage til Ankestyrelsen" in done.text
        person = await follow(client, await post_form(client, done, f"{PAGE}/sletteforbud", {
            "scope": "PERSON", "target": "150310-4321", "reason": "Indsigtsanmodning"}))
        assert "CPR-nummeret vises ikke" in person.text
        assert "150310" not in person.text and "1503104321" not in person.text
        held = await eventually(lambda: _held_in_intake(ws))
        assert len(held) == 1  # routing told intake that the case's concern is held

        holds = await _holds(ws)
        by_case = next(h for h in holds if h["scope"] == "CASE")
        lift = f"{PAGE}/sletteforbud/{by_case['hold_id']}/ophaev"
        lifted = await follow(client, await post_form(client, person, lift, {"reason": "Klagen er afgjort"}))
        assert "Sletteforbuddet er ophævet" in lifted.text and "Ophævede sletteforbud" in lifted.text
        assert "Klagen er afgjort" in lifted.text
        await eventually(lambda: _nothing_held(ws))

    async with ws.browser() as client:
        await ws.sign_in(client, "udvikler-tovholder-kommune")
        assert (await client.get(PAGE)).status_code == 403


async def _nothing_held(ws: WorkspaceUnderTest) -> bool:
    return await _held_in_intake(ws) == set()


async def _holds(ws: WorkspaceUnderTest) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=ws.routing.url) as client:
        token = await _admin_token(ws, client)
        response = await client.get("/api/v1/legal-holds", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    holds: list[dict[str, object]] = response.json()
    return holds


async def _admin_token(ws: WorkspaceUnderTest, client: httpx.AsyncClient) -> str:
    response = await client.post("/auth/token", data={"username": "udvikler-administrator",
                                                      "password": "infohus-udvikling"})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


if chromium_installed():
    from tests.workspace.test_admin_pages import _check
    from tests.workspace.test_admin_pages import chromium as chromium  # the fixture

    @pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
    @pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # both databases: the HTTP test above
    async def test_the_page_is_accessible_in_the_browser(chromium: object, workspace: WorkspaceUnderTest,
                                                         javascript: bool) -> None:
        """Headless Chromium at 1,280 px: axe finds nothing on the page, with a hold in force, nor on the page
        that refuses a hold without a reason."""
        from playwright.async_api import Browser
        assert isinstance(chromium, Browser)
        ws = workspace
        case_id = await _case_id(ws)
        context = await chromium.new_context(java_script_enabled=javascript, locale="da-DK",
                                             viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(ws.url + PAGE)
        await page.select_option("#username", "udvikler-administrator")
        await page.fill("#password", PASSWORD)
        await page.click("button:has-text('Log ind')")
        assert page.url.startswith(ws.url + PAGE), page.url
        await page.fill("#hold-target", case_id)
        await page.fill("#hold-reason", "Klage til Ankestyrelsen")
        await page.click("button:has-text('Sæt sletteforbud')")
        await page.wait_for_selector("[role=status]:has-text('Sletteforbuddet er sat')")
        await _check(page, javascript)
        await page.fill("#hold-target", case_id)
        await page.click("button:has-text('Sæt sletteforbud')")
        await page.wait_for_selector("#hold-reason-error")
        await _check(page, javascript)
