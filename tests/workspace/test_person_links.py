"""Issue 22, point 1 in the staff workspace: a tovholder links a concern to a case as "samme person" and
unlinks it again, each with a reason, on the case page (over real HTTP, both databases; and in headless
Chromium with axe); the case page shows every concern and underretning about the person, and the inbox's
search by a joined concern's reference finds the person's case (point 5)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.waiting import eventually
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_flow import follow, open_signed_in, post_form

pytestmark = pytest.mark.slow

FIRST_STORY = "Eleven taler om at rejse til en konfliktzone og viser videoer med voldelige budskaber."
SECOND_STORY = "Drengen i 8. klasse deler ekstremistisk materiale med yngre elever i frikvarteret."


def concern(submission_id: str, name: str, story: str, email: str) -> dict[str, Any]:
    return {"submission_id": submission_id, "channel": "WEB",
            "reporter": {"category": "PROF_PUBLIC", "name": "Lærer", "workplace": "Ishøj Skole", "email": email},
            "subjects": [{"name": name, "stated_age": 14, "municipality": "Ishøj"}],
            "description": story, "acuteness": "ROUTINE", "crime_suspicion": False}


async def two_cases(ws: WorkspaceUnderTest) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two concerns nothing matches (no CPR number, no date of birth): two cases; (path, reference) each."""
    found = []
    async with ws.system.http() as api:
        for body in (concern("ws-person-0001-abc", "Ali Testesen", FIRST_STORY, "lene@skole.example"),
                     concern("ws-person-0002-abc", "Ali T.", SECOND_STORY, "ole@skole.example")):
            answer = await api.post("/api/v1/concerns", json=body)
            assert answer.status_code == 201, answer.text
            found.append(answer.json()["reference"])

    async def cases() -> list[str] | None:
        ids = []
        async with ws.system.routing.unit_of_work() as uow:
            for reference in found:
                ids += await uow.person_links.cases_for_concerns(
                    await uow.person_links.concerns_by_reference(reference))
        return ids if len(ids) == 2 else None

    first_id, second_id = await eventually(cases, within=30)
    return (f"/sager/{first_id}", found[0]), (f"/sager/{second_id}", found[1])


async def test_a_tovholder_links_and_unlinks_samme_person_on_the_case_page(workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    (case_path, first), (other_path, second) = await two_cases(ws)
    async with ws.browser() as client:
        page = await open_signed_in(ws, client, case_path, "udvikler-tovholder-kommune")
        assert "Henvendelser om personen" in page.text and SECOND_STORY not in page.text
        assert "Infohus (automatisk)" in page.text and "system:routing" not in page.text  # the timeline's actor

        refused = await post_form(client, page, case_path + "/samme-person", {"reference": second, "reason": ""})
        assert refused.status_code == 422 and "Skriv en begrundelse" in refused.text
        unknown = await post_form(client, page, case_path + "/samme-person",
                                  {"reference": "IH-2026-ZZZZ-ZZZZ", "reason": "Samme elev ifølge skolen"})
        assert unknown.status_code == 404 and "Referencen passer ikke på nogen henvendelse" in unknown.text

        linked = await post_form(client, page, case_path + "/samme-person",
                                 {"reference": second.lower(), "reason": "Samme elev ifølge skolen"})
        assert linked.status_code == 303, linked.text
        page = await follow(client, linked)
        assert "Henvendelsen er knyttet til sagen som samme person." in page.text
        # The case page shows both concerns, both underretninger and the link on the timeline.
        assert FIRST_STORY in page.text and SECOND_STORY in page.text and "Ali T." in page.text
        assert f"{first}: " in page.text and f"{second}: " in page.text
        assert "Knyttet af en tovholder" in page.text and "Samme elev ifølge skolen" in page.text
        assert "Henvendelse knyttet til sagen som samme person: Samme elev ifølge skolen" in page.text
        other = await client.get(other_path)
        assert "Knyttet til en anden sag om samme person" in other.text and "Lukket" in other.text

        searched = await client.get("/sager", params={"q": second})  # the joined concern's reference
        assert case_path in searched.text and other_path not in searched.text

        action = re.search(r'action="(/sager/[^"]+/samme-person/[^"]+/fjern)"', page.text)
        assert action, "the unlink form is on the page"
        refused = await post_form(client, page, action.group(1), {"subject_index": "0", "reason": "x"})
        assert refused.status_code == 422 and "Skriv en begrundelse" in refused.text
        unlinked = await post_form(client, page, action.group(1),
                                   {"subject_index": "0", "reason": "Politiet: to forskellige elever"})
        assert unlinked.status_code == 303, unlinked.text
        page = await follow(client, unlinked)
        assert "Henvendelsen er fjernet fra sagen og har fået sin egen sag." in page.text
        assert SECOND_STORY not in page.text and "fjernet: Politiet: to forskellige elever" in page.text

    async with ws.system.routing.unit_of_work() as uow:
        case_ids = await uow.person_links.cases_for_concerns(await uow.person_links.concerns_by_reference(second))
        states = [(await uow.cases.get(uuid.UUID(c))) for c in case_ids]
    # Its case closed as a duplicate at the link, and a new case of its own since the unlink.
    assert sorted(c.state.value for c in states if c is not None) == ["CLOSED", "RECEIVED"]


async def test_the_inbox_search_finds_the_case_by_a_near_duplicates_own_reference(
        workspace: WorkspaceUnderTest) -> None:
    ws = workspace
    body = concern("ws-person-dup-0001", "Sara Hansen", FIRST_STORY, "lene@skole.example")
    body["subjects"] = [{"name": "Sara Hansen", "date_of_birth": "2012-05-05", "municipality": "Ishøj"}]
    references = []
    async with ws.system.http() as api:
        for submission in ("ws-person-dup-0001", "ws-person-dup-0002"):  # the same reporter sends it twice
            answer = await api.post("/api/v1/concerns", json={**body, "submission_id": submission})
            assert answer.status_code == 201, answer.text
            references.append(answer.json()["reference"])
    original, supplement = references
    assert original != supplement  # the reporter was given two references

    async def both_routed() -> list[str] | None:
        async with ws.system.routing.unit_of_work() as uow:
            found = [await uow.person_links.concerns_by_reference(r) for r in references]
            cases = await uow.person_links.cases_for_concerns(found[0])
        return cases if all(found) else None

    [case_id] = await eventually(both_routed, within=30)
    async with ws.browser() as client:
        await ws.sign_in(client, "udvikler-tovholder-politi")
        found = await client.get("/sager", params={"q": supplement})
    assert found.status_code == 200 and f"/sager/{case_id}" in found.text and "1 sag<" in found.text
