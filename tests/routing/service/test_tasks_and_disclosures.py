"""Items 5 and 6: tasks for people (police disclosure, forwarding, § 138 receipts and orientation) and the
disclosure records they produce. Nothing goes to the police or another municipality by itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from contracts.events import DisclosureRecorded
from services.audit.domain.invariants import check_invariants
from services.audit.domain.record import from_event
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

CLOSED_NIGHT = "2026-03-03T23:00:00+01:00"
OPEN_TUESDAY = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
POLICE = ("peter", "tovholder_police")
STRAXEN = ("sofie", "straxen")
NECESSITY = "Akut fare for andres sikkerhed; politiet skal kunne handle straks i infohussamarbejdet."


async def tasks_of(routing: RoutingHarness, who: tuple[str, str]) -> list[dict[str, Any]]:
    async with routing.client(*who) as client:
        response = await client.get("/api/v1/cases/tasks")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def post(routing: RoutingHarness, who: tuple[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*who) as client:
        return await client.post(path, json=body)


def audit_accepts(payload: dict[str, Any]) -> bool:
    event = DisclosureRecorded.model_validate(payload)
    return check_invariants(from_event(event, recorded_at=datetime.now(UTC))) == []


async def test_acute_case_creates_a_disclosure_task_and_sends_nothing_to_the_police(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(CLOSED_NIGHT)
    await routing.submit(concern_body(subjects=[person(ADULT)], acuteness="ACUTE", crime=True), CLOSED_NIGHT)
    destinations = {m["destination"] for m in await routing.events("NotificationRequested")}
    assert destinations <= {"INFOHUS_TK", "OOH_ESCALATION"}
    assert {d["kind"] for d in await routing.events("DisclosureRecorded")} == {"INTERNAL_TRANSFER"}
    assert not any("POLITI" in d["recipient_authority"] for d in await routing.events("DisclosureRecorded"))

    [task] = await tasks_of(routing, MUNICIPAL)
    assert task["kind"] == "DISCLOSURE_PROPOSED" and task["state"] == "OPEN"
    assert datetime.fromisoformat(task["due_at"]) == datetime.fromisoformat("2026-03-04T08:00:00+01:00")
    path = f"/api/v1/cases/tasks/{task['task_id']}/disclosure-decision"
    approve = {"approved": True, "legal_basis": "RPL115_2", "cooperation_form": "KSP_C",
               "necessity_assessment": NECESSITY, "channel": "PHONE"}
    assert (await post(routing, POLICE, path, approve)).status_code == 403  # the recipient cannot decide
    assert (await post(routing, STRAXEN, path, approve)).status_code == 403
    no_form = {**approve, "cooperation_form": "NONE"}
    assert (await post(routing, MUNICIPAL, path, no_form)).status_code == 422
    assert (await post(routing, MUNICIPAL, path, {**approve, "necessity_assessment": "kort"})).status_code == 422
    assert [d["kind"] for d in await routing.events("DisclosureRecorded")].count("DISCLOSURE") == 0

    routing.advance(minutes=20)
    decided = await post(routing, MUNICIPAL, path, approve)
    assert decided.status_code == 200, decided.text
    [record] = [d for d in await routing.events("DisclosureRecorded") if d["kind"] == "DISCLOSURE"]
    assert record["recipient_authority"] == "KBHV_POLITI_INFOHUS"
    assert record["legal_basis"] == "RPL115_2" and record["not_for_investigation"] is True
    assert record["decided_by"].startswith("mette") and record["purpose"] != "CRIMINAL_REPORT"
    assert audit_accepts(record)
    assert (await post(routing, MUNICIPAL, path, approve)).status_code == 409  # decided once
    assert await tasks_of(routing, MUNICIPAL) == []


async def test_a_rejected_disclosure_is_logged_as_decision_rejected(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(CLOSED_NIGHT)
    await routing.submit(concern_body(subjects=[person(ADULT)], acuteness="ACUTE"), CLOSED_NIGHT)
    [task] = await tasks_of(routing, MUNICIPAL)
    response = await post(routing, MUNICIPAL, f"/api/v1/cases/tasks/{task['task_id']}/disclosure-decision",
                          {"approved": False, "legal_basis": "GDPR_VITAL_INTEREST", "necessity_assessment":
                           "Ingen konkret fare efter samtale med anmelder; videregivelse ikke nødvendig."})
    assert response.status_code == 200, response.text
    [record] = [d for d in await routing.events("DisclosureRecorded") if d["kind"] != "INTERNAL_TRANSFER"]
    assert record["kind"] == "DECISION_REJECTED"
    assert audit_accepts(record)


async def test_forwarding_to_another_municipality_only_when_confirmed(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(OPEN_TUESDAY)
    concern_id = await routing.submit(concern_body(subjects=[{**MINOR, "municipality": "Brøndby"}]), OPEN_TUESDAY)
    assert [d["kind"] for d in await routing.events("DisclosureRecorded")] == ["INTERNAL_TRANSFER"] * 2
    [task] = [t for t in await tasks_of(routing, MUNICIPAL) if t["kind"] == "JURISDICTION_REVIEW"]
    assert task["details"]["persons"][0]["municipality"] == "Brøndby"
    # The clocks still start (protective).
    assert len(await routing.underretninger(concern_id)) == 1

    path = f"/api/v1/cases/tasks/{task['task_id']}/forwarding"
    response = await post(routing, MUNICIPAL, path, {"recipient_municipality": "Brøndby", "transport_ref": "msg-1"})
    assert response.status_code == 200, response.text
    assert response.json()["legal_basis"] == "BL132_MELLEMKOMMUNAL"
    [record] = [d for d in await routing.events("DisclosureRecorded") if d["kind"] == "DISCLOSURE"]
    assert record["recipient_authority"] == "OTHER_MUNICIPALITY:Brøndby"
    assert record["onward_conditions_communicated"]
    assert audit_accepts(record)
    [underretning] = await routing.underretninger(concern_id)
    assert underretning["forwarded_to"] == "OTHER_MUNICIPALITY:Brøndby"
    assert (await post(routing, MUNICIPAL, path, {"recipient_municipality": "Brøndby"})).status_code == 409


async def test_forwarding_an_adult_uses_forvaltningsloven(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(OPEN_TUESDAY)
    await routing.submit(concern_body(subjects=[{**ADULT, "municipality": "Vallensbæk"}]), OPEN_TUESDAY)
    [task] = await tasks_of(routing, POLICE)
    response = await post(routing, POLICE, f"/api/v1/cases/tasks/{task['task_id']}/forwarding",
                          {"recipient_municipality": "Vallensbæk", "channel": "LETTER"})
    assert response.json()["legal_basis"] == "FVL7_2_VIDERESENDELSE"
    [record] = [d for d in await routing.events("DisclosureRecorded") if d["kind"] == "DISCLOSURE"]
    assert audit_accepts(record)


async def test_receipt_and_orientation_tasks_for_a_professional_reporter(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(OPEN_TUESDAY)
    await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), OPEN_TUESDAY)
    assert await tasks_of(routing, MUNICIPAL) == []  # need-to-know: § 138 tasks are StraXen's
    tasks = {t["kind"]: t for t in await tasks_of(routing, STRAXEN)}
    assert tasks["RECEIPT_CONFIRMATION"]["due_date"] == "2026-03-11"
    assert tasks["PROFESSIONAL_ORIENTATION"]["due_date"] == "2026-04-02"

    receipt = f"/api/v1/cases/tasks/{tasks['RECEIPT_CONFIRMATION']['task_id']}/receipt"
    by_phone = {"method": "telefon", "sent_at": "2026-03-04T09:00:00+01:00"}
    assert (await post(routing, MUNICIPAL, receipt, by_phone)).status_code == 403
    routing.advance(days=2)
    assert (await post(routing, STRAXEN, receipt, by_phone)).status_code == 200
    orientation = f"/api/v1/cases/tasks/{tasks['PROFESSIONAL_ORIENTATION']['task_id']}/orientation"
    assert (await post(routing, STRAXEN, orientation, {"outcome": "WITHHELD_SAERLIGE_FORHOLD"})).status_code == 422
    done = await post(routing, STRAXEN, orientation, {"outcome": "UNDERSOEGELSE"})
    assert done.status_code == 200 and done.json()["task"]["state"] == "DONE"
    assert await tasks_of(routing, STRAXEN) == []

    routing.advance(days=30)  # the receipt clock stopped in time: no RECEIPT_BREACHED
    await routing.container.scan_deadlines_once()
    assert "RECEIPT_BREACHED" not in [e["kind"] for e in await routing.events("DeadlineReached")]
    [underretning_id] = {t["underretning_id"] for t in tasks.values()}
    async with routing.client(*STRAXEN) as client:
        view = (await client.get(f"/api/v1/cases/underretninger/{underretning_id}")).json()
    assert view["receipt_confirmed_at"] is not None and view["orientation_outcome"] == "UNDERSOEGELSE"
    async with routing.client(*MUNICIPAL) as client:
        assert (await client.get(f"/api/v1/cases/underretninger/{underretning_id}")).status_code == 403


async def test_anonymous_reporter_gets_no_receipt_task(routing: RoutingHarness) -> None:
    await routing.submit(concern_body(reporter="ANONYMOUS_PROFESSIONAL", subjects=[person(MINOR)]), OPEN_TUESDAY)
    assert await tasks_of(routing, STRAXEN) == []


async def test_straxen_neither_lists_nor_acts_on_an_infohus_cases_tasks(routing: RoutingHarness) -> None:
    """Need-to-know per task kind: StraXen handles underretninger, never an infohus case's disclosure or forwarding."""
    routing.now = datetime.fromisoformat(CLOSED_NIGHT)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[
        {**MINOR, "municipality": "Brøndby"}], acuteness="ACUTE", crime=True), CLOSED_NIGHT)
    municipal = {t["kind"]: t for t in await tasks_of(routing, MUNICIPAL)}
    assert set(municipal) == {"DISCLOSURE_PROPOSED", "JURISDICTION_REVIEW"}
    # The police tovholder is the disclosure's recipient: it forwards, but decides no disclosure to itself.
    assert {t["kind"] for t in await tasks_of(routing, POLICE)} == {"JURISDICTION_REVIEW"}
    straxen = await tasks_of(routing, STRAXEN)
    assert {t["kind"] for t in straxen} == {"RECEIPT_CONFIRMATION", "PROFESSIONAL_ORIENTATION"}
    assert all(t["underretning_id"] is not None for t in straxen)

    disclosures_before = await routing.events("DisclosureRecorded")
    forwarding = f"/api/v1/cases/tasks/{municipal['JURISDICTION_REVIEW']['task_id']}/forwarding"
    refused = await post(routing, STRAXEN, forwarding, {"recipient_municipality": "Brøndby", "transport_ref": "m-1"})
    assert refused.status_code == 403
    decision = f"/api/v1/cases/tasks/{municipal['DISCLOSURE_PROPOSED']['task_id']}/disclosure-decision"
    approve = {"approved": True, "legal_basis": "RPL115_2", "cooperation_form": "KSP_C",
               "necessity_assessment": NECESSITY, "channel": "PHONE"}
    assert (await post(routing, STRAXEN, decision, approve)).status_code == 403
    assert await routing.events("DisclosureRecorded") == disclosures_before  # audit is told of nothing
    [underretning] = await routing.underretninger(concern_id)
    assert underretning["forwarded_to"] is None
