"""Issue 22, point 4, over the running system: after a correction (an age corrected, the priority raised with
it), every later mail and page shows the current classification (priority, age band, flags), never the one
from before. Concerns go in over HTTP, corrections through routing's API as a tovholder, mails come out of
the real SMTP server, pages out of the workspace; both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.notify.adapters.orm import deliveries
from tests.waiting import eventually
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest
from tests.workspace.test_flow import link_path, open_signed_in, text_of

pytestmark = pytest.mark.slow

STORY = "Han deler voldelige videoer i en lukket gruppe og taler om at straffe anderledes tænkende."
SUMMARY = re.compile(r'<dl class="infohus-summary">(.*?)</dl>', re.S)
MUNICIPAL = "udvikler-tovholder-kommune"


def concern(submission_id: str, subject: dict[str, Any]) -> dict[str, Any]:
    return {"submission_id": submission_id, "channel": "WEB",
            "reporter": {"category": "CITIZEN", "name": "Bente Borger", "email": "bente@example.org"},
            "subjects": [{"name": "Kim Testesen", "municipality": "Ishøj", **subject}],
            "description": STORY, "acuteness": "ROUTINE", "crime_suspicion": False}


async def submit(ws: WorkspaceUnderTest, body: dict[str, Any]) -> str:
    async with ws.system.http() as api:
        answer = await api.post("/api/v1/concerns", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["reference"])


async def correct_age(ws: WorkspaceUnderTest, case_path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The correction as a municipal tovholder makes it: routing's API with their credential."""
    async with httpx.AsyncClient(base_url=ws.routing.url, timeout=30) as client:
        token = await client.post("/auth/token", data={"username": MUNICIPAL, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        case_id = case_path.rsplit("/", 1)[1]
        answer = await client.post(f"/api/v1/cases/{case_id}/age-corrections", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def mails_where(ws: WorkspaceUnderTest, wanted: int, *, to: str, subject: str) -> list[EmailMessage]:
    """Wait for ``wanted`` mails to ``to`` whose subject holds ``subject``."""
    def found() -> list[EmailMessage]:
        mails = [m for m in ws.mailbox.messages() if to.lower() in str(m["To"]).lower()
                 and subject in str(m["Subject"])]
        return mails if len(mails) >= wanted else []
    return await eventually(found, within=60)  # type: ignore[no-any-return]


def shows(mail: EmailMessage, *, priority: str, band: str, absent: tuple[str, ...]) -> None:
    text = text_of(mail)
    assert f"[{priority}]" in str(mail["Subject"]) and f"Prioritet: {priority}" in text, text
    assert f"Aldersgruppe: {band}" in text, text
    for old in absent:
        assert old not in text and old not in str(mail["Subject"]), (old, text)


async def deadline_mails(ws: WorkspaceUnderTest, days: int) -> None:
    """Let routing's clocks run ``days`` ahead and scan them (warnings and breaches become mails)."""
    later = datetime.now(UTC) + timedelta(days=days)
    ws.system.routing.clock = lambda: later
    await ws.system.routing.scan_deadlines_once()


def summary(page: httpx.Response) -> str:
    found = SUMMARY.search(page.text)
    assert found, "the page opens with its summary"
    return found.group(1)


async def test_an_age_corrected_to_a_minor_shows_in_every_later_mail_and_page(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    adult = {"date_of_birth": "1990-04-04"}
    reference = await submit(ws, concern("corr-minor-0001", adult))
    [new_case] = await mails_where(ws, 1, to="tk@", subject="Ny bekymringshenvendelse")
    shows(new_case, priority="P2", band="18 år eller derover", absent=())
    case_path = link_path(new_case)

    # The school gives the right CPR number: the subject is 14. The priority rises to P1 (R2) and the
    # underretning that was missing is opened; StraXen's mail says so with the classification of now.
    result = await correct_age(ws, case_path, {"cpr": "0505124234", "reason": "Skolen oplyste CPR-nummeret"})
    assert (result["from_band"], result["to_band"]) == ("ADULT", "MINOR")
    [underretning] = await mails_where(ws, 1, to="underretninger@", subject="Ny bekymringshenvendelse")
    shows(underretning, priority="P1", band="Under 18 år", absent=("[P2]", "18 år eller derover"))

    # The same reporter sends the same concern again: a supplement. Its mails show the case as it is now,
    # and StraXen, whose underretning came with the correction, is told too.
    await submit(ws, concern("corr-minor-0002", adult))
    for mailbox in ("tk@", "underretninger@"):
        [supplement] = await mails_where(ws, 1, to=mailbox, subject="Supplerende oplysninger")
        shows(supplement, priority="P1", band="Under 18 år", absent=("[P2]", "Prioritet: P2", "18 år eller derover"))

    # The clocks' warnings and breaches, days later: the classification of now, not of the decision.
    await deadline_mails(ws, days=4)
    for mailbox, title in (("tk@", "Triagefristen er overskredet"), ("underretninger@", "24-timersfristen")):
        [warning, *_] = await mails_where(ws, 1, to=mailbox, subject=title)
        shows(warning, priority="P1", band="Under 18 år", absent=("[P2]", "18 år eller derover"))

    async with ws.browser() as municipal:
        page = await open_signed_in(ws, municipal, case_path, MUNICIPAL)
        assert page.status_code == 200, page.text
        head = summary(page)
        assert "P1 – hastende" in head and "Under 18 år" in head, head
        assert "P2" not in head and "18 år eller derover" not in head, head
        assert "Alderen er rettet" in page.text and "Prioriteten er hævet" in page.text
        assert "sagen er siden rettet til P1 – hastende" in page.text  # the decision's P2 is history
        inbox = await municipal.get("/sager", params={"q": reference})
        [row] = re.findall(r"<tr>\s*<td class=\"infohus-nowrap\"><a href=\"/sager/.*?</tr>", inbox.text, re.S)
        assert "P1 – hastende" in row and "P2" not in row, row

    async with ws.browser() as straxen:
        page = await open_signed_in(ws, straxen, link_path(underretning), "udvikler-straxen")
        assert page.status_code == 200, page.text
        assert "Under 18 år" in summary(page) and "18 år eller derover" not in summary(page)


async def test_a_verified_age_takes_its_flag_off_every_later_mail_and_page(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    reference = await submit(ws, concern("corr-flags-0001", {}))  # no age at all: a possible minor
    [new_case] = await mails_where(ws, 1, to="tk@", subject="Ny bekymringshenvendelse")
    shows(new_case, priority="P1", band="Alder ukendt", absent=())
    assert "Alder ikke bekræftet" in text_of(new_case)
    case_path = link_path(new_case)

    result = await correct_age(ws, case_path, {"cpr": "0101901234", "reason": "CPR-opslag"})
    assert (result["from_band"], result["to_band"]) == ("UNKNOWN", "ADULT")

    stale = ("Alder ikke bekræftet", "Alder ukendt")
    await deadline_mails(ws, days=4)
    for mailbox, title in (("tk@", "Triagefristen er overskredet"), ("underretninger@", "24-timersfristen")):
        [warning, *_] = await mails_where(ws, 1, to=mailbox, subject=title)
        shows(warning, priority="P1", band="18 år eller derover", absent=stale)

    async with ws.browser() as municipal:
        page = await open_signed_in(ws, municipal, case_path, MUNICIPAL)
        head = summary(page)
        assert "18 år eller derover" in head and "Alder ikke kendt" not in head and "Alder ukendt" not in head, head
        assert "Markeringerne er ændret efter en rettelse" in page.text
        inbox = await municipal.get("/sager", params={"q": reference})
        [row] = re.findall(r"<tr>\s*<td class=\"infohus-nowrap\"><a href=\"/sager/.*?</tr>", inbox.text, re.S)
        assert "P1 – hastende" in row and "Alder ikke kendt" not in row, row


async def test_a_mail_waiting_for_a_retry_goes_out_with_the_correction(workspace: WorkspaceUnderTest) -> None:
    """A mail asked for before the correction and not yet sent (the relay refused it for now) is sent with the
    classification of now: notify brings the mails it holds up to date when routing reclassifies the case."""
    ws = workspace
    ws.mailbox.fault = (451, "4.3.0 Try again later")
    reference = await submit(ws, concern("corr-retry-0001", {"date_of_birth": "1990-04-04"}))

    async def stored(predicate: Any) -> list[dict[str, Any]]:
        async with ws.system.notify.runtime.sessions() as session:
            rows = (await session.execute(select(deliveries).where(deliveries.c.reference == reference))).mappings()
            return [dict(r) for r in rows if predicate(r)]

    [waiting] = await eventually(lambda: stored(lambda r: r["state"] == "PENDING" and r["attempts"] >= 1), within=60)
    assert '"priority":"P2"' in waiting["content"]
    await correct_age(ws, f"/sager/{waiting['infohus_case_id']}", {"cpr": "0505124234", "reason": "CPR-opslag"})
    await eventually(lambda: stored(lambda r: r["notification_id"] == waiting["notification_id"]
                                    and '"priority":"P1"' in r["content"]), within=60)

    ws.mailbox.fault = None
    [mail] = await mails_where(ws, 1, to="tk@", subject="Ny bekymringshenvendelse")
    shows(mail, priority="P1", band="Under 18 år", absent=("[P2]", "18 år eller derover"))
