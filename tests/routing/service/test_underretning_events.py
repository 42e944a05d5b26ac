"""UnderretningUpdated: routing tells audit (through its outbox, in the same transaction as the change) when an
underretning is registered and whenever StraXen acts on it; dates and states only (docs/legal.md §D4 Q9)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx

from contracts.events import UnderretningUpdated
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
STRAXEN = ("sofie", "straxen")


async def post(routing: RoutingHarness, who: tuple[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*who) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response


async def updates(routing: RoutingHarness) -> list[UnderretningUpdated]:
    return [UnderretningUpdated.model_validate(p) for p in await routing.events("UnderretningUpdated")]


async def straxen_tasks(routing: RoutingHarness) -> dict[str, dict[str, Any]]:
    async with routing.client(*STRAXEN) as client:
        return {t["kind"]: t for t in (await client.get("/api/v1/cases/tasks")).json()}


async def test_registration_and_every_straxen_step_emit_the_full_state(routing: RoutingHarness) -> None:
    received = datetime.fromisoformat(RECEIVED)
    routing.now = received + timedelta(minutes=1)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), RECEIVED,
                                      reference="ISH-UND-0001")
    [case_id] = await routing.case_ids(concern_id)
    [registered] = await updates(routing)
    [row] = await routing.underretninger(concern_id)
    assert str(registered.underretning_id) == row["underretning_id"]
    assert (registered.concern_id, registered.reference, str(registered.infohus_case_id)) == (
        concern_id, "ISH-UND-0001", case_id)
    assert (registered.legal_type, registered.origin, registered.state) == ("BL_133", "ROUTING", "REGISTERED")
    assert registered.received_at == received
    assert registered.assessment_due_at == received + timedelta(hours=24)
    assert registered.receipt_confirmation_due_date == date(2026, 3, 11)
    assert registered.professional_orientation_required is True
    assert registered.updated_at == routing.now
    assert (registered.assessed_at, registered.receipt_confirmed_at, registered.oriented_at,
            registered.forwarded_at) == (None, None, None, None)

    assessed_at = routing.advance(hours=3)
    await post(routing, STRAXEN, f"/api/v1/cases/underretninger/{registered.underretning_id}/assessment",
               {"acute_measures_needed": False})
    tasks = await straxen_tasks(routing)
    sent_at = routing.advance(hours=2) - timedelta(minutes=30)
    await post(routing, STRAXEN, f"/api/v1/cases/tasks/{tasks['RECEIPT_CONFIRMATION']['task_id']}/receipt",
               {"method": "telefon", "sent_at": sent_at.isoformat()})
    receipt_recorded = routing.now
    oriented_at = routing.advance(days=3)
    await post(routing, STRAXEN, f"/api/v1/cases/tasks/{tasks['PROFESSIONAL_ORIENTATION']['task_id']}/orientation",
               {"outcome": "AFDAEKNING"})

    registered_, assessed, receipt, oriented = await updates(routing)
    assert registered_ == registered
    assert (assessed.state, assessed.assessed_at, assessed.updated_at) == ("ASSESSED", assessed_at, assessed_at)
    assert assessed.receipt_confirmed_at is None and assessed.oriented_at is None
    assert (receipt.state, receipt.assessed_at) == ("ASSESSED", assessed_at)
    assert (receipt.receipt_confirmed_at, receipt.updated_at) == (sent_at, receipt_recorded)
    assert (oriented.oriented_at, oriented.receipt_confirmed_at, oriented.updated_at) == (
        oriented_at, sent_at, oriented_at)
    assert {u.underretning_id for u in (assessed, receipt, oriented)} == {registered.underretning_id}
    assert {u.received_at for u in (assessed, receipt, oriented)} == {received}


async def test_an_age_correction_registers_the_underretning_with_the_original_receipt(
        routing: RoutingHarness) -> None:
    received = datetime.fromisoformat(RECEIVED)
    routing.now = received
    concern_id = await routing.submit(concern_body(reporter="CITIZEN", subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    assert await updates(routing) == []
    corrected_at = routing.advance(hours=30)
    await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/age-corrections",
               {"date_of_birth": "2012-05-05", "reason": "Skolen oplyste korrekt fødselsdato"})
    [registered] = await updates(routing)
    assert (registered.origin, registered.state, registered.legal_type) == ("AGE_CORRECTION", "REGISTERED", "BL_135")
    assert str(registered.infohus_case_id) == case_id and registered.concern_id == concern_id
    assert registered.received_at == received and registered.assessment_due_at == received + timedelta(hours=24)
    assert registered.updated_at == corrected_at


async def test_a_confirmed_forwarding_updates_the_underretning(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    await routing.submit(concern_body(subjects=[{**MINOR, "municipality": "Brøndby"}]), RECEIVED)
    async with routing.client(*MUNICIPAL) as client:
        [task] = [t for t in (await client.get("/api/v1/cases/tasks")).json() if t["kind"] == "JURISDICTION_REVIEW"]
    forwarded_at = datetime.fromisoformat(RECEIVED) + timedelta(hours=1)
    routing.advance(hours=2)
    await post(routing, MUNICIPAL, f"/api/v1/cases/tasks/{task['task_id']}/forwarding",
               {"recipient_municipality": "Brøndby", "occurred_at": forwarded_at.isoformat()})
    registered, forwarded = await updates(routing)
    assert registered.forwarded_at is None
    assert (forwarded.forwarded_at, forwarded.updated_at, forwarded.state) == (forwarded_at, routing.now, "REGISTERED")
    assert forwarded.underretning_id == registered.underretning_id


async def test_an_earlier_near_duplicate_reports_the_earlier_deadline(routing: RoutingHarness) -> None:
    received = datetime.fromisoformat(RECEIVED)
    routing.now = received
    body = concern_body(reporter="CITIZEN", subjects=[person(MINOR, name="Mads Nielsen", cpr="0505121234")])
    original = await routing.submit(body, RECEIVED)
    earlier = received - timedelta(hours=20)
    await routing.submit({**body, "submission_id": "phone-note-0001", "channel": "PHONE",
                          "received_at": earlier.isoformat()}, earlier)
    registered, moved = await updates(routing)
    assert registered.concern_id == moved.concern_id == original
    assert (moved.received_at, moved.assessment_due_at) == (earlier, earlier + timedelta(hours=24))


async def test_a_refused_step_emits_nothing(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    [row] = await routing.underretninger(concern_id)
    path = f"/api/v1/cases/underretninger/{row['underretning_id']}/assessment"
    await post(routing, STRAXEN, path, {"acute_measures_needed": True})
    async with routing.client(*STRAXEN) as client:
        again = await client.post(path, json={"acute_measures_needed": True})
    assert again.status_code == 409
    assert [u.state for u in await updates(routing)] == ["REGISTERED", "ASSESSED"]
