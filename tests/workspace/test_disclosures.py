"""Issue 23's disclosure path in the workspace, over real HTTP: a tovholder records an SSP disclosure from
the case page; a § 115 disclosure with a prosecution purpose is refused beside the field, in Danish, naming
the rule, and nothing is written; a hand-over records its disclosure in the same step; the case page lists
the case's disclosures."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.workspace.conftest import WorkspaceUnderTest, csrf_of
from tests.workspace.test_flow import concern, follow, link_path, mail_to, open_signed_in, post_form

pytestmark = pytest.mark.slow

NECESSITY = "Politiets tovholder skal kende bekymringen for at kunne vurdere den i SSP-analysemødet."


def ssp_disclosure(**overrides: str) -> dict[str, str]:
    return {"kind": "DISCLOSURE", "counterpart": "KBHV_POLITI_INFOHUS", "legal_basis": "RPL115_2",
            "cooperation_form": "SSP", "purpose": "INFOHUS_ANALYSIS",
            "purpose_description": "Analysemøde i SSP om skolens bekymring", "channel": "MEETING_ORAL",
            "data_categories": "CONCERN_NARRATIVE", "necessity_assessment": NECESSITY,
            "occurred_date": "2026-01-05", "occurred_time": "10:00", "decision_date": "2026-01-05",
            "decision_time": "09:30"} | overrides


async def records(ws: WorkspaceUnderTest) -> list[dict[str, object]]:
    async with ws.system.audit.unit_of_work() as uow:
        return await uow.log.by_concern(await concern_id(ws))


async def concern_id(ws: WorkspaceUnderTest) -> object:
    async with ws.system.intake.runtime.sessions() as session:
        from sqlalchemy import text
        return (await session.execute(text("SELECT concern_id FROM concerns"))).scalar_one()


async def to_recommendation(client: httpx.AsyncClient, case_path: str) -> httpx.Response:
    page = await client.get(case_path)
    for action in ({"action": "START_SCREENING"},
                   {"action": "COMPLETE_SCREENING", "sources_consulted": "SCHOOL", "analysis_needed": "false"},
                   {"action": "ISSUE_ASSESSMENT", "at_risk": "true"},
                   {"action": "ISSUE_RECOMMENDATIONS", "measure": "Mentorforløb",
                    "responsible_authority": "Ishøj Kommune, SSP"}):
        page = await follow(client, await post_form(client, page, case_path + "/handling", action))
        assert "Handlingen er registreret." in page.text, action
    return page


CPR = "010110-4234"  # born 1 January 2010 (7th digit 4: the 2000s)


def concern_with_cpr() -> dict[str, object]:
    body = concern()
    body["subjects"] = [{"name": "Ali Testesen", "cpr": CPR, "municipality": "Ishøj"}]
    return body


async def auditor_finds_by_cpr(ws: WorkspaceUnderTest) -> str:
    """The auditor's Q1 page on audit, searched by the person's CPR number."""
    async with httpx.AsyncClient(base_url=ws.audit.url, timeout=30) as auditor:
        login = await auditor.get("/auth/login", params={"next": "/revision/Q1"})
        signed = await auditor.post("/auth/login", data={
            "username": "udvikler-revisor", "password": "infohus-udvikling",
            "csrf_token": csrf_of(login), "next": "/revision/Q1"})
        page = await auditor.get(signed.headers["location"])
        found = await auditor.post("/revision/Q1", data={"csrf_token": csrf_of(page), "cpr": CPR})
        return (await follow(auditor, found)).text


async def test_a_tovholder_records_disclosures_and_a_hand_over_from_the_case_page(
        workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    async with ws.system.http() as api:
        assert (await api.post("/api/v1/concerns", json=concern_with_cpr())).status_code == 201
    case_path = link_path(mail_to(await ws.mailbox.wait_for(2, timeout=30), "tk@"))
    async with ws.browser() as municipal, ws.browser() as police:
        page = await open_signed_in(ws, municipal, case_path, "udvikler-tovholder-kommune")
        assert "Intern overførsel" in page.text  # routing's own record of the mail to tk@
        form = await municipal.get(case_path + "/videregivelse")
        assert form.status_code == 200 and "Retsplejelovens § 115, stk. 2" in form.text
        assert "Københavns Vestegns Politi, infohus" in form.text  # from the register of participants

        refused = await post_form(municipal, form, case_path + "/videregivelse",
                                  ssp_disclosure(purpose="CRIMINAL_REPORT"))
        assert refused.status_code == 422
        assert re.search(r'id="d-purpose-error">.*?regel I3', refused.text, re.S), "the refusal names the rule"
        assert "efterforskning" in refused.text.lower()
        assert "DISCLOSURE" not in [r["kind"] for r in await records(ws)]

        recorded = await post_form(municipal, form, case_path + "/videregivelse", ssp_disclosure())
        assert recorded.status_code == 303, recorded.text
        page = await follow(municipal, recorded)
        assert "Videregivelsen er registreret i loggen." in page.text
        assert "Københavns Vestegns Politi, infohus" in page.text and "Analysemøde i infohuset" in page.text

        await open_signed_in(ws, police, case_path, "udvikler-tovholder-politi")
        for client in (municipal, police):
            page = await client.get(case_path)
            await follow(client, await post_form(client, page, case_path + "/visitation", {"outcome": "IN_SCOPE"}))
        await to_recommendation(municipal, case_path)
        handover_form = await municipal.get(case_path + "/videregivelse?overdragelse=true")
        assert "Overdrag sagen" in handover_form.text
        handed = await post_form(municipal, handover_form, case_path + "/videregivelse", ssp_disclosure(
            handover="1", counterpart="ISHOEJ_SSP", purpose="INFOHUS_RECOMMENDATION_HANDOVER",
            purpose_description="Overdragelse til SSP med anbefaling af mentorforløb"))
        assert handed.status_code == 303, handed.text
        page = await follow(municipal, handed)
        assert "Sagen er overdraget, og videregivelsen er registreret i loggen." in page.text
        assert "Overdraget" in page.text and "SSP-NU Ishøj" in page.text

    kinds = [(r["kind"], r["recipient_authority"], r["purpose"]) for r in await records(ws)]
    assert ("DISCLOSURE", "KBHV_POLITI_INFOHUS", "INFOHUS_ANALYSIS") in kinds
    assert ("DISCLOSURE", "ISHOEJ_SSP", "INFOHUS_RECOMMENDATION_HANDOVER") in kinds
    audited = await auditor_finds_by_cpr(ws)
    assert "Københavns Vestegns Politi" in audited and "Retsplejelovens § 115, stk. 2" in audited
    assert CPR not in audited.split("<main", 1)[1].split("Resultat", 1)[1]  # the result names no CPR number


async def test_an_incomplete_disclosure_form_says_what_is_missing_and_writes_nothing(
        workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    async with ws.system.http() as api:
        assert (await api.post("/api/v1/concerns", json=concern())).status_code == 201
    case_path = link_path(mail_to(await ws.mailbox.wait_for(2, timeout=30), "tk@"))
    async with ws.browser() as client:
        await open_signed_in(ws, client, case_path, "udvikler-tovholder-kommune")
        form = await client.get(case_path + "/videregivelse")
        empty = await client.post(case_path + "/videregivelse", data={"csrf_token": csrf_of(form)})
        assert empty.status_code == 422
        for message in ("Vælg modtager eller afsender.", "Vælg formålet.", "Vælg mindst én kategori af oplysninger."):
            assert message in empty.text
    assert [r["kind"] for r in await records(ws)] == ["INTERNAL_TRANSFER"] * len(await records(ws))
