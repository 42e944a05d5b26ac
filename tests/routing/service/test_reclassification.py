"""Issue 22, point 4, in routing: a correction changes the case's classification where every later mail and
page reads it (the stored case), on every case of the concern, and the mails routing asks for after it carry
the classification of now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
STRAXEN = ("sofie", "straxen")


async def case(routing: RoutingHarness, case_id: str) -> dict[str, Any]:
    async with routing.client(*MUNICIPAL) as client:
        return (await client.get(f"/api/v1/cases/{case_id}")).json()  # type: ignore[no-any-return]


async def correct(routing: RoutingHarness, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
    async with routing.client(*MUNICIPAL) as client:
        response = await client.post(f"/api/v1/cases/{case_id}/age-corrections", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_verified_age_reclassifies_every_case_of_the_concern(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT), person()]), RECEIVED)
    first, second = await routing.case_ids(concern_id)
    before = await case(routing, second)
    assert "AGE_UNVERIFIED" in before["flags"] and before["age_band"] == "UNKNOWN"

    await correct(routing, second, {"cpr": "0101901234", "reason": "CPR-opslag"})

    for case_id in (first, second):
        after = await case(routing, case_id)
        assert "AGE_UNVERIFIED" not in after["flags"], after["flags"]
        [entry] = [e for e in after["timeline"] if e["action"] == "RECLASSIFIED"]
        assert "AGE_UNVERIFIED" in entry["details"]["from_flags"]
        assert "AGE_UNVERIFIED" not in entry["details"]["to_flags"]
    assert (await case(routing, second))["age_band"] == "ADULT"
    async with routing.client(*MUNICIPAL) as client:
        inbox = (await client.get("/api/v1/cases")).json()["items"]
    assert all("AGE_UNVERIFIED" not in row["flags"] for row in inbox)


async def test_a_raised_priority_is_stored_and_the_receipt_mail_carries_it(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    assert (await case(routing, case_id))["priority"] == "P2"

    await correct(routing, case_id, {"date_of_birth": MINOR["date_of_birth"], "reason": "Skolen rettede"})
    assert (await case(routing, case_id))["priority"] == "P1"
    async with routing.client(*MUNICIPAL) as client:
        [row] = (await client.get("/api/v1/cases")).json()["items"]
    assert row["priority"] == "P1"

    async with routing.client(*STRAXEN) as client:
        [task] = [t for t in (await client.get("/api/v1/cases/tasks")).json() if t["kind"] == "RECEIPT_CONFIRMATION"]
        response = await client.post(f"/api/v1/cases/tasks/{task['task_id']}/receipt",
                                     json={"send_to": "lene@skole.example.org"})
    assert response.status_code == 200, response.text
    [receipt] = [m for m in await routing.events("NotificationRequested") if m["destination"] == "REPORTER"]
    assert receipt["priority"] == "P1"


async def test_deadline_events_carry_the_classification_of_now(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    await correct(routing, case_id, {"date_of_birth": MINOR["date_of_birth"], "reason": "Skolen rettede"})
    routing.advance(days=5)
    await routing.container.scan_deadlines_once()
    events = await routing.events("DeadlineReached")
    assert {e["kind"] for e in events} >= {"TRIAGE_BREACHED", "ASSESSMENT_BREACHED"}
    for event in events:
        assert (event["priority"], event["age_bands"]) == ("P1", ["MINOR"]), event
