"""Issue 22, points 1 and 5, through the running system on both databases: concerns go in over intake's HTTP
API, routing consumes them from the broker, and the case records come out of routing's API.

1. One person, one infohus case: a concern about a person with an open case joins it, whoever reports it
   and through whichever channel (CPR number, else name and date of birth), each with its own underretning
   and clock; a tovholder links and unlinks "samme person" by hand, with a reason, on the timeline.
5. Every reference a reporter was given finds the case: a near duplicate's and a joined concern's.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infohus.kit.auth import Role
from tests.retention.conftest import RetentionSystem, retention_system  # noqa: F401 - the running system
from tests.waiting import eventually

pytestmark = pytest.mark.slow

CHILD_CPR = "010108-4123"  # born 1 January 2008: a child when the concerns arrive (2015)
STORY = "Drengen taler om at rejse til en konfliktzone og deler voldelige videoer."


def subject(**fields: Any) -> dict[str, Any]:
    return {"municipality": "Ishøj", **fields}


async def staff_submit(system: RetentionSystem, **fields: Any) -> tuple[str, str]:
    """A concern intake staff register (a phone call from a professional): (concern id, reference)."""
    body = {"submission_id": f"phone-{uuid.uuid4().hex}", "channel": "PHONE",
            "received_at": system.clocks.now.isoformat(), "acuteness": "ROUTINE", "crime_suspicion": False,
            "reporter": {"category": "PROF_PUBLIC", "name": "Lærer Lene", "workplace": "Ishøj Skole",
                         "email": "lene@skole.example"}, **fields}
    async with system.client("intake", Role.INTAKE) as api:
        response = await api.post("/api/v1/concerns", json=body)
    assert response.status_code == 201, response.text
    return await _concern_of(system, response.json()["reference"]), response.json()["reference"]


async def _concern_of(system: RetentionSystem, reference: str) -> str:
    async def found() -> str | None:
        async with system.system.routing.unit_of_work() as uow:
            ids = await uow.person_links.concerns_by_reference(reference)
        return ids[0] if ids else None

    return str(await eventually(found, within=60))


async def routed(system: RetentionSystem, reference: str) -> str:
    """The concern's id once routing has decided it (its facts are written with its cases)."""
    return await _concern_of(system, reference)


async def by_reference(system: RetentionSystem, reference: str) -> httpx.Response:
    async with system.client("routing", Role.TOVHOLDER_MUNICIPAL) as api:
        return await api.get(f"/api/v1/cases/by-reference/{reference}")


async def case_view(system: RetentionSystem, case_id: str) -> dict[str, Any]:
    async with system.client("routing", Role.TOVHOLDER_MUNICIPAL) as api:
        response = await api.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def the_case_of(system: RetentionSystem, reference: str) -> dict[str, Any]:
    response = await by_reference(system, reference)
    assert response.status_code == 200, response.text
    [case] = response.json()
    return await case_view(system, case["case_id"])


async def test_concerns_about_one_person_from_any_reporter_and_channel_share_one_case(
        retention_system: RetentionSystem) -> None:  # noqa: F811
    system = retention_system
    _, first = await system.submit(subjects=[subject(name="Mads Nielsen", cpr=CHILD_CPR)], description=STORY)
    await routed(system, first)
    system.clocks.now += timedelta(days=3)
    # Another reporter, another channel, the same CPR number (the name spelled otherwise): the same person.
    _, second = await staff_submit(system, subjects=[subject(name="Mads Nielson", cpr=CHILD_CPR)],
                                   description="Eleven har truet en lærer og taler om vold mod vantro.")
    await routed(system, second)
    system.clocks.now += timedelta(days=1)
    # No CPR number, but the same name and date of birth (a citizen on the web form): the same person.
    _, third = await system.submit(subjects=[subject(name="  mads NIELSEN ", date_of_birth="2008-01-01")],
                                   description="Jeg er bekymret for min nabos søn, han har skiftet venner.",
                                   reporter={"category": "CITIZEN", "phone": "22334455"})
    await routed(system, third)
    # The same name, another date of birth: another person, a case of their own.
    _, other = await system.submit(subjects=[subject(name="Mads Nielsen", date_of_birth="2009-06-01")],
                                   description="En anden dreng med samme navn.",
                                   reporter={"category": "CITIZEN", "phone": "99887766"})
    await routed(system, other)

    case = await the_case_of(system, first)
    for reference in (second, third):  # every reference the reporters were given finds the person's case
        found = (await by_reference(system, reference)).json()
        assert [c["case_id"] for c in found] == [case["case_id"]]
    assert [c["case_id"] for c in (await by_reference(system, other)).json()] != [case["case_id"]]

    assert [(c["reference"], c["match"], c["active"]) for c in case["concerns"]] == [
        (first, "OPENED", True), (second, "CPR", True), (third, "NAME_DOB", True)]
    # Each concern about a possible minor is its own underretning with its own 24-hour clock.
    underretninger = case["underretninger"]
    assert sorted(u["reference"] for u in underretninger) == sorted([first, second, third])
    assessment_clocks = [c for c in case["clocks"] if c["kind"] == "ASSESSMENT"]
    assert len(assessment_clocks) == 3 and len({c["due_at"] for c in assessment_clocks}) == 3
    assert len([c for c in case["clocks"] if c["kind"] == "TRIAGE"]) == 1  # one case: one triage
    joined = [e for e in case["timeline"] if e["action"] == "CONCERN_JOINED"]
    assert [(e["details"]["reference"], e["details"]["match"]) for e in joined] == [
        (second, "CPR"), (third, "NAME_DOB")]

    # Audit accepted each joined concern's own internal transfers (to tk@ and to StraXen).
    second_id = await routed(system, second)

    async def transfers() -> list[dict[str, Any]] | None:
        async with system.system.audit.unit_of_work() as uow:
            records = await uow.log.by_concern(uuid.UUID(second_id))
        return records if len(records) >= 2 else None

    assert {r["kind"] for r in await eventually(transfers, within=60)} == {"INTERNAL_TRANSFER"}

    # The inbox lists the person once; a search by any of the references finds that one case.
    async with system.client("routing", Role.TOVHOLDER_MUNICIPAL) as api:
        inbox = (await api.get("/api/v1/cases", params={"include_closed": "true"})).json()["items"]
        searched = (await api.get("/api/v1/cases", params={"reference": third})).json()["items"]
    assert sorted(c["reference"] for c in inbox) == sorted([first, other])
    assert [c["case_id"] for c in searched] == [case["case_id"]]


async def test_a_near_duplicates_own_reference_finds_the_case_it_supplements(
        retention_system: RetentionSystem) -> None:  # noqa: F811
    system = retention_system
    fields = {"subjects": [subject(name="Sara Hansen", date_of_birth="2007-05-05")], "description": STORY}
    _, original = await system.submit(**fields)
    await routed(system, original)
    system.clocks.now += timedelta(hours=2)
    _, supplement = await system.submit(**fields)  # the same reporter again, the same story: R0b
    duplicate_id = await routed(system, supplement)
    async with system.system.routing.unit_of_work() as uow:
        facts = await uow.facts.get(uuid.UUID(duplicate_id))
    assert facts is not None and facts.duplicate_of is not None  # a near duplicate, not a joined concern

    case = await the_case_of(system, original)
    found = await by_reference(system, supplement)
    assert found.status_code == 200, found.text
    assert [c["case_id"] for c in found.json()] == [case["case_id"]]
    async with system.client("routing", Role.TOVHOLDER_MUNICIPAL) as api:
        searched = (await api.get("/api/v1/cases", params={"reference": supplement})).json()["items"]
    assert [c["case_id"] for c in searched] == [case["case_id"]]
    assert len(case["underretninger"]) == 1  # a supplement brings no underretning of its own


async def test_a_tovholder_links_and_unlinks_samme_person_with_a_reason(
        retention_system: RetentionSystem) -> None:  # noqa: F811
    system = retention_system
    _, first = await system.submit(subjects=[subject(name="Ali Testesen", stated_age=15)], description=STORY)
    await routed(system, first)
    system.clocks.now += timedelta(days=1)
    # Nothing to match on (no CPR number, no date of birth): a case of its own, until a tovholder sees it.
    _, second = await staff_submit(system, subjects=[subject(name="Ali T.", stated_age=15)],
                                   description="Eleven viser ekstremistisk materiale i frikvarteret.")
    second_id = await routed(system, second)
    case, own = await the_case_of(system, first), await the_case_of(system, second)
    assert case["case_id"] != own["case_id"]

    async with system.client("routing", Role.TOVHOLDER_MUNICIPAL, user="mette") as api:
        url = f"/api/v1/cases/{case['case_id']}/person-links"
        refused = await api.post(url, json={"reference": second, "reason": ""})
        assert refused.status_code == 422  # a reason is required
        linked = await api.post(url, json={"reference": second, "reason": "Samme elev ifølge skolen"})
        assert linked.status_code == 200, linked.text
        assert linked.json()["closed_case_id"] == own["case_id"]
    async with system.client("routing", Role.STRAXEN) as api:  # not a tovholder: refused
        assert (await api.post(url, json={"reference": second, "reason": "Samme elev"})).status_code == 403

    case = await case_view(system, case["case_id"])
    assert [(c["reference"], c["match"], c["reason"]) for c in case["concerns"]][1:] == [
        (second, "MANUAL", "Samme elev ifølge skolen")]
    assert sorted(u["reference"] for u in case["underretninger"]) == sorted([first, second])
    [entry] = [e for e in case["timeline"] if e["action"] == "PERSON_LINKED"]
    assert (entry["actor"], entry["details"]["reason"]) == ("mette", "Samme elev ifølge skolen")
    closed = await case_view(system, own["case_id"])
    assert (closed["state"], closed["close_reason"]) == ("CLOSED", "DUPLICATE")
    assert next(c for c in closed["clocks"] if c["kind"] == "TRIAGE")["stop_reason"] == "JOINED_OTHER_CASE"
    assert [c["case_id"] for c in (await by_reference(system, second)).json()
            if c["state"] != "CLOSED"] == [case["case_id"]]

    async with system.client("routing", Role.TOVHOLDER_POLICE, user="poul") as api:
        unlinked = await api.post(f"/api/v1/cases/{case['case_id']}/person-links/{second_id}/unlink",
                                  json={"reason": "Politiet: to forskellige elever"})
    assert unlinked.status_code == 200, unlinked.text
    new_case = await case_view(system, unlinked.json()["new_case_id"])
    assert new_case["reference"] == second and new_case["state"] == "RECEIVED"
    assert [u["reference"] for u in new_case["underretninger"]] == [second]
    case = await case_view(system, case["case_id"])
    assert [u["reference"] for u in case["underretninger"]] == [first]
    assert [(c["reference"], c["active"], c["unlink_reason"]) for c in case["concerns"]][1:] == [
        (second, False, "Politiet: to forskellige elever")]
    [entry] = [e for e in case["timeline"] if e["action"] == "PERSON_UNLINKED"]
    assert entry["actor"] == "poul" and entry["details"]["new_case_id"] == new_case["case_id"]
