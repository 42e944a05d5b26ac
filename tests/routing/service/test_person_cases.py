"""One person, one infohus case (issue 22, point 1) at routing's handler, on both databases: what a joining
concern does to the person's case, a near duplicate of a joined concern, and two CPR numbers that differ."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.routing.builders import MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")


def about_mads(**changes: Any) -> dict[str, Any]:
    body = concern_body(reporter="CITIZEN", subjects=[person(MINOR, name="Mads Nielsen", cpr="0505121234")])
    return {**body, "description": "Mads taler om vold mod anderledes tænkende.", **changes}


async def view(routing: RoutingHarness, case_id: str) -> dict[str, Any]:
    async with routing.client(*MUNICIPAL) as client:
        return (await client.get(f"/api/v1/cases/{case_id}")).json()  # type: ignore[no-any-return]


async def test_an_acute_concern_joining_the_case_raises_its_priority_and_brings_triage_forward(
        routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    first = await routing.submit(about_mads(), RECEIVED)
    [case_id] = await routing.case_ids(first)
    before = await view(routing, case_id)
    routing.advance(hours=1)
    acute = about_mads(submission_id="acute-0001-abcdef", acuteness="ACUTE", description="Han har et våben nu.",
                       reporter={"category": "PROF_PUBLIC", "name": "Lærer A", "workplace": "Skolen",
                                 "email": "a@ishoj.dk"})
    second = await routing.submit(acute, routing.now)

    assert await routing.case_ids(second) == []
    after = await view(routing, case_id)
    assert (before["priority"], after["priority"]) == ("P1", "P0")
    assert datetime.fromisoformat(after["triage_due_at"]) < datetime.fromisoformat(before["triage_due_at"])
    [triage] = [c for c in after["clocks"] if c["kind"] == "TRIAGE"]
    assert triage["due_at"] == after["triage_due_at"]
    actions = [e["action"] for e in after["timeline"]]
    assert {"CONCERN_JOINED", "PRIORITY_RAISED", "TRIAGE_DUE_MOVED"} <= set(actions)
    # The infohus mailbox hears of a new concern on the case, not of a new case; StraXen of a new underretning.
    mails = [m for m in await routing.events("NotificationRequested") if m["concern_id"] == str(second)]
    assert {(m["destination"], m["purpose"]) for m in mails} >= {("INFOHUS_TK", "SUPPLEMENT"),
                                                                 ("UNDERRETNING", "NEW_CASE")}
    assert {m["infohus_case_id"] for m in mails} == {case_id}
    assert [e for e in await routing.events("CaseOpened") if e["concern_id"] == str(second)] == []
    police = [t for t in after["tasks"] if t["kind"] == "DISCLOSURE_PROPOSED"]
    assert [t["concern_id"] for t in police] == [str(second)]  # the acute concern's task, on the person's case


async def test_a_near_duplicate_of_a_joined_concern_supplements_the_persons_case(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    first = await routing.submit(about_mads(), RECEIVED)
    [case_id] = await routing.case_ids(first)
    other = about_mads(submission_id="other-0001-abcdef", description="Mads har skiftet venner.",
                       reporter={"category": "CITIZEN", "name": "Anden Borger", "phone": "87654321"})
    joined = await routing.submit(other, routing.advance(hours=1))
    again = await routing.submit({**other, "submission_id": "other-0002-abcdef"}, routing.advance(hours=1))
    async with routing.container.unit_of_work() as uow:
        facts = await uow.facts.get(again)
    assert facts is not None and facts.duplicate_of == joined
    linked = [e for e in (await view(routing, case_id))["timeline"] if e["action"] == "SUPPLEMENT_LINKED"]
    assert [e["details"]["concern_id"] for e in linked] == [str(again)]
    async with routing.client(*MUNICIPAL) as client:
        found = (await client.get(f"/api/v1/cases/by-reference/{facts.reference}")).json()
    assert [c["case_id"] for c in found] == [case_id]


async def test_two_cpr_numbers_are_two_persons_whatever_the_names_say(routing: RoutingHarness) -> None:
    first = await routing.submit(about_mads(), RECEIVED)
    twin = about_mads(submission_id="twin-0001-abcdef", description="En anden bekymring.",
                      subjects=[person(MINOR, name="Mads Nielsen", cpr="0505121235")],
                      reporter={"category": "CITIZEN", "name": "Anden Borger", "phone": "87654321"})
    second = await routing.submit(twin, datetime.fromisoformat(RECEIVED) + timedelta(hours=1))
    assert len(await routing.case_ids(first)) == 1 and len(await routing.case_ids(second)) == 1
