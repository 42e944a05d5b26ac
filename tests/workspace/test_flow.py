"""Issue 21's path, over real HTTP: a concern about a 15-year-old from the public API reaches tk@ and
Underretninger@; each mail's link opens the right workspace page after sign-in; the two tovholdere sign
triage; StraXen assesses and Infohus sends the professional reporter the § 138 receipt; every view of
personal data is in the read-access logs of the services that hold the data."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from tests.waiting import eventually
from tests.workspace.conftest import WorkspaceUnderTest, csrf_of

pytestmark = pytest.mark.slow

LINK = re.compile(r"Se sagen i Infohus: (\S+)")
STORY = "Eleven taler om at rejse til en konfliktzone og viser videoer med voldelige budskaber."


def concern() -> dict[str, Any]:
    return {
        "submission_id": "ws-flow-0001-abcdef", "channel": "WEB",
        "reporter": {"category": "PROF_PUBLIC", "name": "Lærer Lene Larsen", "workplace": "Ishøj Skole",
                     "email": "lene.larsen@skole.example"},
        "subjects": [{"name": "Ali Testesen", "stated_age": 15, "municipality": "Ishøj",
                      "school_or_workplace": "Ishøj Skole, 9. b"}],
        "description": STORY, "warning_signs": ["IND_CONFLICT_TRAVEL"], "acuteness": "ROUTINE",
        "crime_suspicion": False}


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_path(mail: EmailMessage) -> str:
    found = LINK.search(text_of(mail))
    assert found, "every mailbox mail links into Infohus"
    url = urlsplit(found.group(1))
    return url.path + (f"?{url.query}" if url.query else "")


def mail_to(mails: list[EmailMessage], address: str) -> EmailMessage:
    return next(m for m in mails if address.lower() in str(m["To"]).lower())


async def follow(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    while response.status_code in (302, 303, 307):
        response = await client.get(response.headers["location"])
    return response


async def post_form(client: httpx.AsyncClient, page: httpx.Response, action: str,
                    data: dict[str, str]) -> httpx.Response:
    return await client.post(action, data={"csrf_token": csrf_of(page), **data})


async def open_signed_in(ws: WorkspaceUnderTest, client: httpx.AsyncClient, path: str, user: str) -> httpx.Response:
    """Follow a mail's link as a person would: not signed in, sign in, land on that page."""
    first = await client.get(path)
    assert first.status_code == 303
    login = urlsplit(first.headers["location"])
    assert login.path == "/auth/login" and path.split("?")[0] in httpx.QueryParams(login.query)["next"]
    signed = await ws.sign_in(client, user, next_path=httpx.QueryParams(login.query)["next"])
    assert signed.status_code == 303 and signed.headers["location"].startswith(path.split("?")[0])
    return await follow(client, signed)


async def readers(ws: WorkspaceUnderTest, service: str) -> set[str]:
    container = getattr(ws.system, service)
    table = container.read_log.table
    async with container.runtime.sessions() as session:
        rows = (await session.execute(select(table.c.user_id))).all()
    return {row.user_id for row in rows}


async def test_the_case_is_worked_in_the_browser_from_mail_to_receipt(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    async with ws.system.http() as api:
        answer = await api.post("/api/v1/concerns", json=concern())
    assert answer.status_code == 201, answer.text
    reference = answer.json()["reference"]
    mails = await ws.mailbox.wait_for(2, timeout=30)
    case_path = link_path(mail_to(mails, "tk@"))
    underretning_path = link_path(mail_to(mails, "underretninger@"))
    assert case_path.startswith("/sager/") and underretning_path.startswith("/underretninger/")

    async with ws.browser() as municipal:
        page = await open_signed_in(ws, municipal, case_path, "udvikler-tovholder-kommune")
        assert page.status_code == 200, page.text
        assert reference in page.text and STORY in page.text and "Ali Testesen" in page.text
        assert "afventer" in page.text
        # The rules that decided: the configuration's label and the fingerprint of code and configuration.
        rules = ws.system.routing.rules
        assert f"Regelsæt: {rules.label} (regelversion <code>{rules.short}</code>)." in page.text
        signed = await post_form(municipal, page, case_path + "/visitation", {"outcome": "IN_SCOPE"})
        assert signed.status_code == 303, signed.text
        page = await follow(municipal, signed)
        assert "Din visitation er registreret" in page.text
        assert "afventer politiets tovholder" in page.text

    async with ws.browser() as police:
        page = await open_signed_in(ws, police, case_path, "udvikler-tovholder-politi")
        signed = await post_form(police, page, case_path + "/visitation", {"outcome": "IN_SCOPE"})
        page = await follow(police, signed)
        assert "Visiteret – inden for infohusets område" in page.text
        noted = await post_form(police, page, case_path + "/handling",
                                {"action": "ADD_NOTE", "note": "Skolen er orienteret om visitationen."})
        page = await follow(police, noted)
        assert "Noten er tilføjet tidslinjen." in page.text
        assert "Intern note: Skolen er orienteret om visitationen." in page.text

    async with ws.browser() as straxen:
        page = await open_signed_in(ws, straxen, underretning_path, "udvikler-straxen")
        assert page.status_code == 200, page.text
        assert STORY in page.text and "Ali Testesen" in page.text and "lene.larsen@skole.example" in page.text
        assessed = await post_form(straxen, page, underretning_path + "/vurdering", {
            "acute_measures_needed": "false", "note": "Forældrene er kontaktet; barnet er i skole i dag."})
        page = await follow(straxen, assessed)
        assert "Vurderingen er registreret" in page.text
        assert "Forældrene er kontaktet; barnet er i skole i dag." in page.text
        action = re.search(r'action="(/underretninger/[^"]+/kvittering)"', page.text)
        assert action, "the receipt task is on the page"
        sent = await post_form(straxen, page, action.group(1), {"send": "mail"})
        assert sent.status_code == 303, sent.text

    receipt = mail_to(await ws.mailbox.wait_for(3, timeout=30), "lene.larsen@skole.example")
    assert reference in str(receipt["Subject"])
    assert STORY not in text_of(receipt) and "Ali" not in text_of(receipt)

    async def receipt_recorded() -> bool:
        async with ws.browser() as straxen:
            page = await open_signed_in(ws, straxen, underretning_path, "udvikler-straxen")
            return "Kvitteret" in page.text
    await eventually(receipt_recorded, within=30)

    tovholdere = {"udvikler-tovholder-kommune", "udvikler-tovholder-politi"}
    assert tovholdere | {"udvikler-straxen"} <= await readers(ws, "routing")
    assert tovholdere | {"udvikler-straxen"} <= await readers(ws, "intake")


async def test_a_role_sees_only_its_own_pages(workspace: WorkspaceUnderTest) -> None:
    async with ws_client(workspace) as client:
        await workspace.sign_in(client, "udvikler-straxen")
        assert (await client.get("/sager")).status_code == 403
        assert (await client.get("/")).headers["location"] == "/underretninger"
    async with ws_client(workspace) as client:
        await workspace.sign_in(client, "udvikler-tovholder-kommune")
        assert (await client.get("/underretninger")).status_code == 403
        inbox = await client.get("/sager")
        assert inbox.status_code == 200 and "Sager" in inbox.text
    async with ws_client(workspace) as client:
        await workspace.sign_in(client, "udvikler-revisor")
        assert (await client.get("/sager")).status_code == 403


def ws_client(ws: WorkspaceUnderTest) -> httpx.AsyncClient:
    return ws.browser()


async def test_a_refused_form_says_why_in_danish_beside_the_field(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    async with ws.system.http() as api:
        assert (await api.post("/api/v1/concerns", json=concern())).status_code == 201
    mails = await ws.mailbox.wait_for(2, timeout=30)
    case_path = link_path(mail_to(mails, "tk@"))
    async with ws.browser() as client:
        page = await open_signed_in(ws, client, case_path, "udvikler-tovholder-kommune")
        refused = await post_form(client, page, case_path + "/visitation", {})
        assert refused.status_code == 422
        assert "Vælg et udfald." in refused.text and 'aria-invalid="true"' in refused.text
        await post_form(client, page, case_path + "/visitation", {"outcome": "IN_SCOPE"})
    async with ws.browser() as police:
        page = await open_signed_in(ws, police, case_path, "udvikler-tovholder-politi")
        assert (await post_form(police, page, case_path + "/visitation", {"outcome": "IN_SCOPE"})).status_code == 303
    async with ws.browser() as client:
        await ws.sign_in(client, "udvikler-tovholder-kommune")
        page = await client.get(case_path)
        again = await post_form(client, page, case_path + "/visitation", {"outcome": "OUT_OF_SCOPE"})
        assert again.status_code == 409, again.text
        assert "Handlingen passer ikke til sagens tilstand" in again.text
        assert "Fejl:" in again.text  # the page title says the page carries an error


async def test_the_inbox_finds_a_case_by_reference_and_by_name(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    async with ws.system.http() as api:
        reference = (await api.post("/api/v1/concerns", json=concern())).json()["reference"]
    await ws.mailbox.wait_for(2, timeout=30)
    async with ws.browser() as client:
        await ws.sign_in(client, "udvikler-tovholder-politi")
        for query in (reference.lower(), "ali testesen", "TESTESEN"):
            found = await client.get("/sager", params={"q": query})
            assert found.status_code == 200 and reference in found.text, query
            assert "1 sag<" in found.text
        nobody = await client.get("/sager", params={"q": "Ingen Ved Navn"})
        assert nobody.status_code == 200 and reference not in nobody.text and "0 sager" in nobody.text
        short = await client.get("/sager", params={"q": "x"})
        assert short.status_code == 422 and "Skriv mindst to tegn." in short.text
