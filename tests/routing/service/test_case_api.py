"""Item 5: the infohus case lifecycle through the tovholdere's API, with dual triage and a timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.routing.builders import ADULT, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
POLICE = ("peter", "tovholder_police")


async def open_case(routing: RoutingHarness) -> str:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    return case_id


async def post(routing: RoutingHarness, who: tuple[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*who) as client:
        return await client.post(path, json=body)


async def get_case(routing: RoutingHarness, case_id: str, who: tuple[str, str] = MUNICIPAL) -> dict[str, Any]:
    async with routing.client(*who) as client:
        response = await client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def triage(routing: RoutingHarness, case_id: str, outcome: str) -> None:
    for who in (MUNICIPAL, POLICE):
        response = await post(routing, who, f"/api/v1/cases/{case_id}/triage", {"outcome": outcome})
        assert response.status_code == 200, response.text


async def test_triage_needs_both_tovholdere(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    routing.advance(minutes=30)
    first = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/triage", {"outcome": "IN_SCOPE"})
    assert first.json() == {"state": "RECEIVED", "triage_complete": False, "version": 1,
                            "awaiting": ["tovholder_police"]}
    disagree = await post(routing, POLICE, f"/api/v1/cases/{case_id}/triage", {"outcome": "POLICE_ONLY"})
    assert disagree.json()["triage_complete"] is False
    assert disagree.json()["awaiting"] == ["tovholder_municipal", "tovholder_police"]
    routing.advance(minutes=5)
    agree = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/triage", {"outcome": "POLICE_ONLY"})
    assert agree.json()["state"] == "POLICE_ONLY" and agree.json()["triage_complete"] is True

    case = await get_case(routing, case_id, POLICE)
    assert case["record"]["triage"]["decided_by_municipal"] == "mette"
    assert case["record"]["triage"]["decided_by_police"] == "peter"
    assert [e["action"] for e in case["timeline"]] == [
        "OPENED", "TRIAGE_SIGNED", "TRIAGE_SIGNED", "TRIAGE_SIGNED", "TRIAGE_COMPLETED"]
    # The triage clock stopped: no breach later.
    routing.advance(days=10)
    await routing.container.scan_deadlines_once()
    assert [e["kind"] for e in await routing.events("DeadlineReached")] == []
    transitions = await routing.events("CaseTransitioned")
    assert transitions[-1]["to_state"] == "POLICE_ONLY" and transitions[-1]["actor"] == "mette"


async def test_triage_refused_for_other_roles_and_after_completion(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    for role in ("straxen", "intake", "auditor", "administrator"):
        response = await post(routing, ("x", role), f"/api/v1/cases/{case_id}/triage", {"outcome": "IN_SCOPE"})
        assert response.status_code == 403, role
    await triage(routing, case_id, "OUT_OF_SCOPE")
    late = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/triage", {"outcome": "IN_SCOPE"})
    assert late.status_code == 409


async def test_full_lifecycle_records_actor_and_time_of_every_step(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    await triage(routing, case_id, "IN_SCOPE")
    steps: list[tuple[tuple[str, str], dict[str, Any], str]] = [
        (MUNICIPAL, {"action": "START_SCREENING"}, "SCREENING"),
        (POLICE, {"action": "COMPLETE_SCREENING", "analysis_needed": True,
                  "sources_consulted": ["POLICE_REGISTERS"]}, "ANALYSIS"),
        (MUNICIPAL, {"action": "RECORD_ANALYSIS", "meeting_at": "2026-03-03T12:30:00+01:00",
                     "dimensions_assessed": ["FAMILY", "NETWORK"], "participants": ["SKOLE"]}, "ASSESSMENT"),
        (MUNICIPAL, {"action": "ISSUE_ASSESSMENT", "at_risk": True, "summary_ref": "doc:42"}, "RECOMMENDATION"),
        (MUNICIPAL, {"action": "ISSUE_RECOMMENDATIONS", "recommendations": [
            {"measure": "Mentor", "responsible_authority": "ISHOEJ_KOMMUNE", "proposed_legal_basis": "SEL § 12 b"}]},
         "RECOMMENDATION"),
        (MUNICIPAL, {"action": "HAND_OVER", "to_authorities": ["ISHOEJ_KOMMUNE"]}, "HANDED_OVER"),
        (MUNICIPAL, {"action": "START_FOLLOW_UP", "follow_up_due": "2026-06-01"}, "FOLLOW_UP"),
        (POLICE, {"action": "RECORD_FOLLOW_UP", "note_ref": "doc:43"}, "FOLLOW_UP"),
        (MUNICIPAL, {"action": "CLOSE", "reason": "HANDED_OVER"}, "CLOSED"),
    ]
    for who, body, state in steps:
        routing.advance(hours=1)
        response = await post(routing, who, f"/api/v1/cases/{case_id}/actions", body)
        assert response.status_code == 200, (body, response.text)
        assert response.json()["state"] == state
    case = await get_case(routing, case_id)
    after_triage = case["timeline"][4:]
    assert [e["to_state"] for e in after_triage] == [state for _, _, state in steps]
    assert [e["actor"] for e in after_triage] == [who[0] for who, _, _ in steps]
    times = [datetime.fromisoformat(e["at"]) for e in case["timeline"]]
    assert times == sorted(times) and len(set(times[4:])) == len(steps)
    assert case["closed_at"] is not None and case["close_reason"] == "HANDED_OVER"


@pytest.mark.parametrize(("body", "status"), [
    ({"action": "HAND_OVER", "to_authorities": ["X"]}, 409),  # not yet at recommendation
    ({"action": "CLOSE", "reason": "NO_FURTHER_CONCERN"}, 409),  # not from IN_SCOPE
    ({"action": "CLOSE"}, 422),  # reason missing
    ({"action": "FLY_TO_MOON"}, 422),
    ({"action": "START_SCREENING", "expected_version": 0}, 409),  # stale version
])
async def test_refused_steps_change_nothing(routing: RoutingHarness, body: dict[str, Any], status: int) -> None:
    case_id = await open_case(routing)
    await triage(routing, case_id, "IN_SCOPE")
    before = await get_case(routing, case_id)
    response = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/actions", body)
    assert response.status_code == status, response.text
    after = await get_case(routing, case_id)
    assert (after["state"], after["version"], len(after["timeline"])) == (
        before["state"], before["version"], len(before["timeline"]))


async def test_hold_resume_and_administrative_close(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    hold = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/actions", {"action": "PUT_ON_HOLD"})
    assert hold.json()["state"] == "ON_HOLD"
    assert (await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/triage", {"outcome": "IN_SCOPE"})
            ).status_code == 409
    resume = await post(routing, POLICE, f"/api/v1/cases/{case_id}/actions", {"action": "RESUME"})
    assert resume.json()["state"] == "RECEIVED"
    routing.advance(days=5)  # after the triage due time
    closed = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/actions",
                        {"action": "CLOSE", "reason": "DUPLICATE"})
    assert closed.json()["state"] == "CLOSED"
    # Closing stopped the triage clock late: the breach is still reported, once.
    kinds = [e["kind"] for e in await routing.events("DeadlineReached")]
    assert kinds == ["TRIAGE_BREACHED"]


async def test_need_to_know_and_sign_in(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    async with routing.client() as anonymous:
        assert (await anonymous.get(f"/api/v1/cases/{case_id}")).status_code == 401
    # A token whose roles the kit does not know signs in but is refused everywhere (docs/auth.md).
    async with routing.client("x", "superuser") as unknown:
        assert (await unknown.get(f"/api/v1/cases/{case_id}")).status_code == 403
    async with routing.client("x", "system") as system:
        assert (await system.get(f"/api/v1/cases/{case_id}")).status_code == 403
    for role in ("straxen", "auditor", "administrator", "intake"):
        async with routing.client("x", role) as client:
            assert (await client.get(f"/api/v1/cases/{case_id}")).status_code == 403, role
    async with routing.client(*MUNICIPAL) as client:
        assert (await client.get("/api/v1/cases/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_the_old_development_headers_sign_no_one_in(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    async with routing.client() as client:
        response = await client.get(f"/api/v1/cases/{case_id}",
                                    headers={"X-Dev-User": "mette", "X-Dev-Role": "tovholder_municipal"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        forged = await client.get(f"/api/v1/cases/{case_id}", headers={"authorization": "Bearer not-a-token"})
        assert forged.status_code == 401


async def test_the_timeline_names_the_signed_in_user_and_role(routing: RoutingHarness) -> None:
    case_id = await open_case(routing)
    response = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/triage", {"outcome": "IN_SCOPE"})
    assert response.status_code == 200, response.text
    timeline = (await get_case(routing, case_id))["timeline"]
    assert [(e["actor"], e["actor_role"]) for e in timeline] == [
        ("system:routing", "system"), ("mette", "tovholder_municipal")]
