"""The partner authority's web form (``/samarbejdspartner/henvendelse``), over HTTP without a browser, on
SQLite and PostgreSQL: a partner signs in with the development login, as a person would."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from services.intake.adapters.orm import concerns
from tests.conftest import Databases
from tests.intake.conftest import DEV_PASSWORD, IntakeUnderTest, make_intake
from tests.intake.test_web import citizen_form, hidden

PARTNER_FORM = "/samarbejdspartner/henvendelse"
LOGIN = "/auth/login"
PARTNER_USER = "udvikler-samarbejdspartner"
NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
async def partner_intake(databases: Databases) -> AsyncIterator[IntakeUnderTest]:
    """Intake with the development login, on SQLite and on PostgreSQL."""
    under_test = await make_intake(**databases.for_service("intake"), dev_login=True)  # type: ignore[arg-type]
    under_test.container.clock = lambda: NOW
    yield under_test
    await under_test.container.runtime.engine.dispose()


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    login = await client.get(LOGIN, params={"next": PARTNER_FORM})
    signed_in = await client.post(LOGIN, data={"csrf_token": hidden(login.text, "csrf_token"), "username": username,
                                               "password": DEV_PASSWORD, "next": PARTNER_FORM})
    assert signed_in.status_code == 303, signed_in.text


def partner_form(page: str, **fields: str) -> dict[str, str]:
    """A partner's answers (on the citizen's form data: what the partner form does not offer, the reporter's
    category CITIZEN among them, is sent but must not be taken from it)."""
    return citizen_form(page, **{
        "subjects-0-name": "Mads Holm", "subjects-0-cpr": "010110-1234",
        "description": "Mads har under en afhøring sagt, at vold mod politiet er nødvendig.",
        "acuteness": "URGENT", "reporter-authority": "POLICE", "reporter-name": "Betjent Hansen",
        "reporter-role": "Politiassistent", "reporter-workplace": "Københavns Vestegns Politi",
        "reporter-phone": "43861448", "reporter-email": "hansen@politi.example", "channel": "WEB",
        "received_at-date": "01.01.2026", "received_at-time": "08:00", **fields})


async def test_a_partner_reports_a_concern_in_the_browser(partner_intake: IntakeUnderTest) -> None:
    async with partner_intake.client() as client:
        await sign_in(client, PARTNER_USER)
        root = await client.get("/samarbejdspartner")
        page = await client.get(PARTNER_FORM)
        assert page.status_code == 200, page.text
        assert "Henvendelse fra en samarbejdspartner" in page.text
        assert "Logget ind som Udvikler Samarbejdspartner" in page.text
        for asked in ("reporter-authority", "reporter-workplace", "reporter-name", "reporter-role",
                      "reporter-phone", "reporter-email", "reporter-cooperation_form",
                      "reporter-necessity_assessment", "subjects-0-cpr", "description", "acuteness"):
            assert f'name="{asked}"' in page.text, asked
        for fixed in ("channel", "reporter-category", "received_at-date", "reporter-claims_professional"):
            assert f'name="{fixed}"' not in page.text, fixed
        no_authority = await client.post(PARTNER_FORM, data=partner_form(page.text, **{
            "reporter-authority": "", "reporter-workplace": "", "description": ""}))
        assert await partner_intake.counts() == (0, 0)
        forged = await client.post(PARTNER_FORM, data=partner_form(page.text, csrf_token="forged"))
        receipt = await client.post(PARTNER_FORM, data=partner_form(page.text))
    assert root.status_code == 303 and root.headers["location"] == PARTNER_FORM
    assert no_authority.status_code == 422
    errors = dict(re.findall(r'id="([\w-]+)-error"[^>]*>(?:\s*<span[^>]*>[^<]*</span>)?\s*([^<]+)<',
                             no_authority.text))
    assert "Vælg, hvilken myndighed henvendelsen kommer fra" in errors["reporter-authority"]
    assert "reporter-workplace" in errors and "description" in errors  # every problem at once
    assert 'href="#reporter-authority-1"' in no_authority.text
    assert forged.status_code == 403 and "Formularen er udløbet" in forged.text
    assert f'href="{PARTNER_FORM}"' in forged.text  # open the partner form again, not the staff form
    assert receipt.status_code == 200, receipt.text
    reference = re.search(r'id="reference">([^<]+)<', receipt.text)
    assert reference and "Dit referencenummer" in receipt.text
    assert "Tak – vi har modtaget jeres henvendelse" in receipt.text
    assert 'data-message-id="M_ACK"' in receipt.text  # what intake says back, as the API does
    [row] = await partner_intake.rows(concerns)
    assert row["reference"] == reference.group(1).strip()
    assert row["channel"] == "PARTNER" and row["recorded_by"] == PARTNER_USER
    assert row["received_at"].replace(tzinfo=UTC) == NOW
    body = json.loads(row["body"])
    assert body["reporter"]["category"] == "PARTNER_AUTHORITY" and body["reporter"]["authority"] == "POLICE"
    assert body["reporter"]["workplace"] == "Københavns Vestegns Politi"
    assert body["subjects"][0]["cpr"] == "0101101234"


async def test_a_partner_states_a_section_115_cooperation(partner_intake: IntakeUnderTest) -> None:
    necessity = "Personen samler våben, og Infohus skal vurdere en indsats med det samme."
    async with partner_intake.client() as client:
        await sign_in(client, PARTNER_USER)
        page = await client.get(PARTNER_FORM)
        half = await client.post(PARTNER_FORM, data=partner_form(page.text, **{"reporter-cooperation_form": "PSP"}))
        receipt = await client.post(PARTNER_FORM, data=partner_form(page.text, **{
            "reporter-cooperation_form": "PSP", "reporter-necessity_assessment": necessity}))
    assert half.status_code == 422 and 'href="#reporter-necessity_assessment"' in half.text
    assert receipt.status_code == 200, receipt.text
    [row] = await partner_intake.rows(concerns)
    reporter = json.loads(row["body"])["reporter"]
    assert (reporter["cooperation_form"], reporter["necessity_assessment"]) == ("PSP", necessity)


async def test_only_a_partner_gets_the_partner_form(partner_intake: IntakeUnderTest) -> None:
    async with partner_intake.client() as client:
        anonymous = [await client.get(PARTNER_FORM), await client.get("/samarbejdspartner"),
                     await client.post(PARTNER_FORM, data={"description": "x"})]
    async with partner_intake.client() as client:
        await sign_in(client, "udvikler-modtagelse")
        staff_page = await client.get(PARTNER_FORM)
        staff_post = await client.post(PARTNER_FORM, data={"description": "x"})
    for response in anonymous:
        assert response.status_code == 401, response.text
        assert "Log ind som samarbejdspartner" in response.text
        assert f'href="{LOGIN}?next=/samarbejdspartner' in response.text
    for response in (staff_page, staff_post):
        assert response.status_code == 403 and "Din rolle giver ikke adgang" in response.text
        assert "samarbejdspartner (partner)" in response.text
    assert await partner_intake.counts() == (0, 0)
