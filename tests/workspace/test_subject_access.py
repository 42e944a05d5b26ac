"""Issue 24 point 4 over real HTTP: an administrator exports everything Infohus holds about one person (found
by CPR number) on /administration/indsigt: the concern that names them, their case and underretning with
the tovholdere's and StraXen's work, the disclosures and the mails. The bundle holds that person's data and
nobody else's, names no employee (CJEU C-579/21), and every service logs the export; others are refused."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from contracts.subject_access import SubjectAccessBundle
from infohus.kit.auth.dev_users import DEV_USERS
from services.audit.adapters.orm import auditor_query_log
from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_installed
from tests.waiting import eventually
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest, csrf_of
from tests.workspace.test_disclosures import ssp_disclosure
from tests.workspace.test_flow import STORY, follow, post_form

pytestmark = pytest.mark.slow

CPR = "010110-4234"  # the person asking: born 1 January 2010, so a minor (an underretning too)
OTHER_CPR = "020290-1111"  # someone else in the same concern
STRANGER_CPR = "030385-2222"  # the subject of another concern
REASON = "Anmodning om indsigt modtaget, j.nr. 2026-4711"
NOTE = "Skolen er orienteret om visitationen."
ASSESSMENT = "Forældrene er kontaktet; barnet er i skole i dag."


def concern_about_two() -> dict[str, Any]:
    return {
        "submission_id": "ws-sar-0001-abcdef", "channel": "WEB",
        "reporter": {"category": "PROF_PUBLIC", "name": "Lærer Lene Larsen", "workplace": "Ishøj Skole",
                     "email": "lene.larsen@skole.example"},
        "subjects": [{"name": "Ali Testesen", "cpr": CPR, "municipality": "Ishøj"},
                     {"name": "Bo Andersen", "cpr": OTHER_CPR, "municipality": "Ishøj"}],
        "description": STORY, "warning_signs": ["IND_CONFLICT_TRAVEL"], "acuteness": "ROUTINE",
        "crime_suspicion": False}


def concern_about_a_stranger() -> dict[str, Any]:
    return {
        "submission_id": "ws-sar-0002-abcdef", "channel": "WEB", "reporter": {"category": "ANONYMOUS"},
        "subjects": [{"name": "Carl Fremmed", "cpr": STRANGER_CPR, "municipality": "Ishøj"}],
        "description": "En helt anden bekymring om en anden person.", "acuteness": "ROUTINE",
        "crime_suspicion": False}


async def rows(ws: WorkspaceUnderTest, service: str, sql: str) -> list[Any]:
    container = getattr(ws.system, service)
    async with container.runtime.sessions() as session:
        return list((await session.execute(text(sql))).mappings())


async def signed_in(ws: WorkspaceUnderTest, client: httpx.AsyncClient, user: str, path: str) -> httpx.Response:
    await ws.sign_in(client, user, next_path=path)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return page


async def work_the_case(ws: WorkspaceUnderTest, case_id: str, underretning_id: str) -> None:
    """Both tovholdere triage (one adds a note and records a disclosure); StraXen assesses and has the § 138
    receipt mailed to the reporter: staff identities end up in the case, the underretning and the log."""
    case_path, underretning_path = f"/sager/{case_id}", f"/underretninger/{underretning_id}"
    async with ws.browser() as municipal, ws.browser() as police, ws.browser() as straxen:
        page = await signed_in(ws, municipal, "udvikler-tovholder-kommune", case_path)
        assert (await post_form(municipal, page, case_path + "/visitation", {"outcome": "IN_SCOPE"})).status_code == 303
        form = await municipal.get(case_path + "/videregivelse")
        assert (await post_form(municipal, form, case_path + "/videregivelse", ssp_disclosure())).status_code == 303
        page = await signed_in(ws, police, "udvikler-tovholder-politi", case_path)
        page = await follow(police, await post_form(police, page, case_path + "/visitation", {"outcome": "IN_SCOPE"}))
        noted = await post_form(police, page, case_path + "/handling", {"action": "ADD_NOTE", "note": NOTE})
        assert noted.status_code == 303, noted.text
        page = await signed_in(ws, straxen, "udvikler-straxen", underretning_path)
        page = await follow(straxen, await post_form(straxen, page, underretning_path + "/vurdering", {
            "acute_measures_needed": "false", "note": ASSESSMENT}))
        receipt = re.search(r'action="(/underretninger/[^"]+/kvittering)"', page.text)
        assert receipt, "the receipt task is on the page"
        assert (await post_form(straxen, page, receipt.group(1), {"send": "mail"})).status_code == 303


async def seeded(ws: WorkspaceUnderTest) -> tuple[str, str, str]:
    """The person's concern (with someone else in it) and a stranger's; routing opened their cases."""
    async with ws.system.http() as api:
        reference = (await api.post("/api/v1/concerns", json=concern_about_two())).json()["reference"]
        stranger = (await api.post("/api/v1/concerns", json=concern_about_a_stranger())).json()["reference"]

    async def opened() -> list[Any]:
        found = await rows(ws, "routing", "SELECT reference, subject_index, case_id FROM infohus_cases")
        return found if len(found) == 3 else []
    cases = await eventually(opened)
    return reference, stranger, next(str(c["case_id"]) for c in cases
                                     if c["reference"] == reference and c["subject_index"] == 0)


async def export(client: httpx.AsyncClient, page: httpx.Response, **extra: str) -> httpx.Response:
    return await post_form(client, page, "/administration/indsigt", {"cpr": CPR, "reason": REASON, **extra})


async def test_an_administrator_exports_exactly_the_persons_data_without_staff_identities(
        workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    reference, stranger, case_id = await seeded(ws)
    underretning = await rows(ws, "routing", "SELECT underretning_id FROM underretninger")
    underretning_id = str(underretning[0]["underretning_id"])
    await work_the_case(ws, case_id, underretning_id)
    await eventually(lambda: rows(ws, "notify", "SELECT state FROM deliveries WHERE destination = 'REPORTER'"))

    async with ws.browser() as admin:
        form = await signed_in(ws, admin, "udvikler-administrator", "/administration/indsigt")
        refused = await post_form(admin, form, "/administration/indsigt", {"cpr": "0101-104234", "reason": REASON})
        assert refused.status_code == 422
        assert re.search(r'id="indsigt-cpr-error">.*?Skriv CPR-nummeret som 10 cifre', refused.text, re.S)
        no_reason = await post_form(admin, form, "/administration/indsigt", {"cpr": CPR, "reason": f"cpr {CPR}"})
        assert no_reason.status_code == 422 and "Skriv ikke CPR-numre i begrundelsen." in no_reason.text

        shown = await export(admin, form)
        assert shown.status_code == 200, shown.text
        assert reference in shown.text and stranger not in shown.text
        assert "Henvendelser (1)" in shown.text and "Infohussager (1)" in shown.text
        assert "Underretninger (1)" in shown.text and "Videregivelser og modtagelser" in shown.text
        downloaded = await export(admin, shown, format="json")
        assert downloaded.status_code == 200
        assert downloaded.headers["content-disposition"].startswith('attachment; filename="indsigt-')
        packed = await export(admin, shown, format="zip")
    raw = downloaded.text
    bundle = SubjectAccessBundle.model_validate_json(raw)

    assert [c.reference for c in bundle.intake.concerns] == [reference]
    concern = bundle.intake.concerns[0]
    assert [(p.path, p.name, p.cpr) for p in concern.persons] == [("subjects[0]", "Ali Testesen", "0101104234")]
    assert concern.other_persons == 1 and concern.description == STORY and concern.reporter_category == "PROF_PUBLIC"
    assert [str(c.case_id) for c in bundle.routing.cases] == [case_id]
    case = bundle.routing.cases[0]
    assert case.record.triage is not None and case.record.triage.outcome == "IN_SCOPE"
    assert NOTE in [step.text for step in case.timeline]
    assert {step.by_role for step in case.timeline} >= {"tovholder_municipal", "tovholder_police"}
    assert [str(u.underretning_id) for u in bundle.routing.underretninger] == [underretning_id]
    assert bundle.routing.underretninger[0].assessment_note == ASSESSMENT
    assert [p.path for p in bundle.routing.persons] == ["subjects[0]"]
    kinds = {(d.kind, d.recipient_authority, d.purpose) for d in bundle.audit.disclosures}
    assert ("DISCLOSURE", "KBHV_POLITI_INFOHUS", "INFOHUS_ANALYSIS") in kinds
    assert "INTERNAL_TRANSFER" in {d.kind for d in bundle.audit.disclosures}
    assert {str(d.concern_id) for d in bundle.audit.disclosures} == {str(concern.concern_id)}
    assert bundle.notify.mails and {m.reference for m in bundle.notify.mails} == {reference}
    assert not bundle.notify.holds_personal_data
    roles = {role for part in (bundle.intake, bundle.routing, bundle.audit) for c in part.consultations
             for role in c.roles}
    assert {"tovholder_municipal", "tovholder_police", "straxen"} <= roles

    for absent in ["Bo Andersen", "0202901111", "020290-1111", "Carl Fremmed", "0303852222", stranger,
                   "Lærer Lene Larsen", "lene.larsen@skole.example", "Ishøj Skole"]:
        assert absent not in raw, f"someone else's data in the bundle: {absent}"
    for user in DEV_USERS:  # no employee, by id or by name
        assert user.username not in raw and user.display_name not in raw, user.username
    assert sorted(zipfile.ZipFile(io.BytesIO(packed.content)).namelist()) == [
        "audit.json", "intake.json", "notify.json", "oversigt.json", "routing.json"]

    await the_export_is_logged(ws, bundle, case_id, underretning_id)


async def the_export_is_logged(ws: WorkspaceUnderTest, bundle: SubjectAccessBundle, case_id: str,
                               underretning_id: str) -> None:
    """Audit keeps each request (administrator, reason, request id); every service logged its part as read."""
    async with ws.system.audit.runtime.sessions() as session:
        requests = (await session.execute(select(auditor_query_log.c.actor, auditor_query_log.c.parameters)
                                          .where(auditor_query_log.c.query == "SUBJECT_ACCESS"))).all()
    assert len(requests) == 3  # shown, downloaded as JSON and as ZIP: three exports
    assert {actor for actor, _ in requests} == {"udvikler-administrator"}
    logged = [json.loads(parameters) for _, parameters in requests]
    assert {entry["reason"] for entry in logged} == {REASON}
    assert str(bundle.request_id) in {entry["request_id"] for entry in logged}
    request = f"request:{bundle.request_id}"
    expected = {"intake": {str(bundle.intake.concerns[0].concern_id)}, "routing": {case_id, underretning_id},
                "audit": {str(bundle.intake.concerns[0].concern_id)}}
    for service, case_ids in expected.items():
        reads = await rows(ws, service, "SELECT user_id, case_id, fields FROM read_access_log "
                                        "WHERE purpose = 'subject_access'")
        this_one = {r["case_id"] for r in reads if request in json.loads(r["fields"])}
        assert this_one == case_ids, service
        assert {r["user_id"] for r in reads} == {"udvikler-administrator"}


async def test_only_an_administrator_may_export(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    await seeded(ws)
    async with ws.browser() as client:
        await ws.sign_in(client, "udvikler-tovholder-kommune")
        assert (await client.get("/administration/indsigt")).status_code == 403
        inbox = await client.get("/sager")
        refused = await client.post("/administration/indsigt",
                                    data={"csrf_token": csrf_of(inbox), "cpr": CPR, "reason": REASON})
        assert refused.status_code == 403 and "Ingen adgang" in refused.text
    body = {"request_id": "0190a1b2-0000-7000-8000-000000000001", "cpr": CPR, "reason": REASON}
    for served in (ws.intake, ws.routing, ws.audit, ws.notify):
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as api:
            for user in ("udvikler-tovholder-kommune", "udvikler-revisor", "udvikler-straxen"):
                token = (await api.post("/auth/token", data={"username": user, "password": PASSWORD})).json()
                answer = await api.post("/api/v1/subject-access", json=body,
                                        headers={"authorization": f"Bearer {token['access_token']}"})
                assert answer.status_code == 403, (served.url, user, answer.text)
            assert (await api.post("/api/v1/subject-access", json=body)).status_code == 401
    for service in ("intake", "routing", "audit"):
        assert await rows(ws, service, "SELECT id FROM read_access_log WHERE purpose = 'subject_access'") == []
    assert await rows(ws, "audit", "SELECT entry_id FROM auditor_query_log WHERE query = 'SUBJECT_ACCESS'") == []


if chromium_installed():
    from playwright.async_api import async_playwright

    from tests.workspace.test_admin_pages import _check

    @pytest.fixture
    async def chromium() -> AsyncIterator[object]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            await browser.close()

    @pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
    @pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # both databases: the HTTP tests above
    async def test_the_subject_access_pages_in_the_browser(chromium: object, workspace: WorkspaceUnderTest,
                                                           javascript: bool) -> None:
        """The form refuses a malformed CPR number beside the field, the result lists the parts in Danish, the
        bundle downloads; axe finds nothing on either page, with and without JavaScript."""
        from playwright.async_api import Browser
        assert isinstance(chromium, Browser)
        ws = workspace
        reference, stranger, _case_id = await seeded(ws)
        context = await chromium.new_context(java_script_enabled=javascript, locale="da-DK", accept_downloads=True,
                                             viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(ws.url + "/administration")
        await page.select_option("#username", "udvikler-administrator")
        await page.fill("#password", PASSWORD)
        await page.click("button:has-text('Log ind')")
        await page.click("text=Indsigt: udtræk om en person")
        assert await page.is_visible("label:has-text('CPR-nummer')")
        await _check(page, javascript)

        await page.fill("#indsigt-cpr", "12345")
        await page.fill("#indsigt-reason", REASON)
        await page.click("button:has-text('Lav udtræk')")
        await page.wait_for_selector("#indsigt-cpr-error")
        assert "Skriv CPR-nummeret som 10 cifre" in await page.inner_text("#indsigt-cpr-error")
        assert await page.get_attribute("#indsigt-cpr", "aria-invalid") == "true"
        await _check(page, javascript)

        await page.fill("#indsigt-cpr", CPR)
        await page.click("button:has-text('Lav udtræk')")
        await page.wait_for_selector("h2:has-text('Henvendelser (1)')")
        main = await page.inner_text("main")
        assert reference in main and stranger not in main and "Ali Testesen" in main and "Bo Andersen" not in main
        for heading in ("Infohussager (1)", "Underretninger (1)", "Videregivelser og modtagelser", "Mails",
                        "Opslag i personens oplysninger", "Om udtrækket"):
            assert await page.is_visible(f"h2:has-text('{heading}')"), heading
        await _check(page, javascript)
        async with page.expect_download() as downloading:
            await page.click("button:has-text('Hent som JSON-fil')")
        download = await downloading.value
        assert download.suggested_filename.startswith("indsigt-") and download.suggested_filename.endswith(".json")
        saved = await download.path()
        bundle = SubjectAccessBundle.model_validate_json(saved.read_text())
        assert [c.reference for c in bundle.intake.concerns] == [reference]
        assert errors == []
        await context.close()
