"""Times a person enters are bounded: after what they refer to, not in the future beyond the clock skew
(``ENTERED_TIME_SKEW_S``, 5 minutes; a time within it counts as now), and a due date not in the past. A refusal is
422 naming the field in Danish, and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.routing.builders import ADULT, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T23:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
POLICE = ("peter", "tovholder_police")
NECESSITY = "Akut fare for andres sikkerhed; politiet skal kunne handle straks i infohussamarbejdet."
APPROVE = {"approved": True, "legal_basis": "RPL115_2", "cooperation_form": "KSP_C",
           "necessity_assessment": NECESSITY, "channel": "PHONE"}


async def post(routing: RoutingHarness, who: tuple[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*who) as client:
        return await client.post(path, json=body)


async def task_path(routing: RoutingHarness, kind: str, route: str) -> str:
    async with routing.client(*MUNICIPAL) as client:
        tasks = {t["kind"]: t for t in (await client.get("/api/v1/cases/tasks")).json()}
    return f"/api/v1/cases/tasks/{tasks[kind]['task_id']}/{route}"


def refused(response: httpx.Response, field: str, danish: str) -> bool:
    detail = response.json().get("detail", "")
    return response.status_code == 422 and isinstance(detail, str) and detail.startswith(f"{field}:") \
        and danish in detail


def at(moment: datetime, **delta: float) -> str:
    return (moment + timedelta(**delta)).isoformat()


async def test_a_disclosure_decision_lies_after_the_concern_and_not_in_the_future(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    await routing.submit(concern_body(subjects=[person(ADULT)], acuteness="ACUTE"), RECEIVED)
    path = await task_path(routing, "DISCLOSURE_PROPOSED", "disclosure-decision")
    now = routing.advance(hours=2)
    received = datetime.fromisoformat(RECEIVED)
    before = await routing.events()
    for body, field, danish in [
        ({"decided_at": "1970-01-01T00:00:05+00:00"}, "decided_at", "før henvendelsen blev modtaget"),
        ({"decided_at": at(received, seconds=-1)}, "decided_at", "før henvendelsen blev modtaget"),
        ({"decided_at": at(now, minutes=6)}, "decided_at", "i fremtiden"),
        ({"decided_at": at(now, hours=-1), "occurred_at": at(now, hours=-1, seconds=-1)}, "occurred_at",
         "før beslutningen blev truffet"),
        ({"occurred_at": at(now, days=1)}, "occurred_at", "i fremtiden"),
    ]:
        response = await post(routing, MUNICIPAL, path, {**APPROVE, **body})
        assert refused(response, field, danish), (body, response.text)
    assert await routing.events() == before  # nothing recorded, nothing disclosed

    decided = await post(routing, MUNICIPAL, path, {**APPROVE, "decided_at": at(received, minutes=30),
                                                    "occurred_at": at(now, minutes=3)})  # within the skew: now
    assert decided.status_code == 200, decided.text
    [record] = [d for d in await routing.events("DisclosureRecorded") if d["kind"] == "DISCLOSURE"]
    assert datetime.fromisoformat(record["decision_at"]) == received + timedelta(minutes=30)
    assert datetime.fromisoformat(record["occurred_at"]) == now


async def test_a_forwarding_lies_after_the_concern_and_not_in_the_future(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    await routing.submit(concern_body(subjects=[{**ADULT, "municipality": "Vallensbæk"}]), RECEIVED)
    path = await task_path(routing, "JURISDICTION_REVIEW", "forwarding")
    now = routing.advance(hours=1)
    body = {"recipient_municipality": "Vallensbæk", "channel": "LETTER"}
    assert refused(await post(routing, POLICE, path, {**body, "occurred_at": "1970-01-01T00:00:05+00:00"}),
                   "occurred_at", "før henvendelsen blev modtaget")
    assert refused(await post(routing, POLICE, path, {**body, "occurred_at": at(now, hours=1)}),
                   "occurred_at", "i fremtiden")
    assert [d["kind"] for d in await routing.events("DisclosureRecorded")] == ["INTERNAL_TRANSFER"]
    done = await post(routing, POLICE, path, {**body, "occurred_at": at(now, minutes=-10)})
    assert done.status_code == 200, done.text


@pytest.mark.parametrize("bad", ["past", "future"])
async def test_an_analysis_meeting_and_a_follow_up_date_are_bounded(routing: RoutingHarness, bad: str) -> None:
    routing.now = datetime.fromisoformat("2026-03-03T10:00:00+01:00")
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), "2026-03-03T10:00:00+01:00")
    [case_id] = await routing.case_ids(concern_id)
    opened = routing.now
    now = routing.advance(days=2)
    actions = f"/api/v1/cases/{case_id}/actions"
    for who in (MUNICIPAL, POLICE):
        assert (await post(routing, who, f"/api/v1/cases/{case_id}/triage", {"outcome": "IN_SCOPE"})).status_code == 200
    for step in ({"action": "START_SCREENING"}, {"action": "COMPLETE_SCREENING", "analysis_needed": True}):
        assert (await post(routing, MUNICIPAL, actions, step)).status_code == 200

    meeting_at = at(opened, days=-1) if bad == "past" else at(now, minutes=30)
    response = await post(routing, MUNICIPAL, actions, {"action": "RECORD_ANALYSIS", "meeting_at": meeting_at})
    assert refused(response, "meeting_at", "før sagen blev oprettet" if bad == "past" else "i fremtiden"), response.text
    held = await post(routing, MUNICIPAL, actions, {"action": "RECORD_ANALYSIS", "meeting_at": at(now, hours=-3)})
    assert held.status_code == 200 and held.json()["state"] == "ASSESSMENT", held.text

    for step in ({"action": "ISSUE_ASSESSMENT", "at_risk": True},
                 {"action": "ISSUE_RECOMMENDATIONS", "recommendations": [
                     {"measure": "Mentor", "responsible_authority": "Ishøj Kommune"}]},
                 {"action": "HAND_OVER", "to_authorities": ["Ishøj Kommune"]}):
        assert (await post(routing, MUNICIPAL, actions, step)).status_code == 200
    yesterday = "2026-03-04" if bad == "past" else "2026-01-01"
    response = await post(routing, MUNICIPAL, actions, {"action": "START_FOLLOW_UP", "follow_up_due": yesterday})
    assert refused(response, "follow_up_due", "i fortiden"), response.text
    today = await post(routing, MUNICIPAL, actions, {"action": "START_FOLLOW_UP", "follow_up_due": "2026-03-05"})
    assert today.status_code == 200 and today.json()["state"] == "FOLLOW_UP", today.text
