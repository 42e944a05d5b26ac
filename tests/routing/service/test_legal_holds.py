"""Legal holds and routing's retention (docs/legal.md §A3), on SQLite and PostgreSQL: a hold keeps a concern
and its near duplicate past their period and is announced to the other services; lifting it lets them go;
a concern that never became a case goes after the short period; a hold on a person covers a concern about
them that arrives later; only administrators set and lift holds, with a reason, on a target that exists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from tests.routing.builders import ADULT, concern_body, person
from tests.routing.conftest import RoutingHarness
from tests.routing.service.test_age_and_duplicates import near_duplicate_body

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
ADMIN = ("anders", "administrator")


async def post(routing: RoutingHarness, who: tuple[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*who) as client:
        return await client.post(path, json=body)


async def close(routing: RoutingHarness, concern_id: UUID, reason: str) -> None:
    [case_id] = await routing.case_ids(concern_id)
    response = await post(routing, MUNICIPAL, f"/api/v1/cases/{case_id}/actions",
                          {"action": "CLOSE", "reason": reason})
    assert response.status_code == 200, response.text


async def announced(routing: RoutingHarness) -> list[tuple[str, str]]:
    return [(e["concern_id"], e["change"]) for e in await routing.events("ConcernRetentionChanged")]


async def erased_at(routing: RoutingHarness, now: datetime) -> list[str]:
    """Routing's run at ``now``, after its dry run listed the same: the concerns it erased."""
    planned = await routing.container.retention.plan(now)
    done = await routing.container.retention.run(now)
    assert done.items == planned.items
    return done.items["concerns"]


async def test_a_hold_keeps_a_concern_and_its_near_duplicate_until_it_is_lifted(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    original = await routing.submit(near_duplicate_body(), RECEIVED)
    routing.advance(hours=5)
    duplicate = await routing.submit(near_duplicate_body(submission_id="another-submission"), routing.now)
    routing.advance(days=3)
    await close(routing, original, "MOVED")
    hold = await post(routing, ADMIN, "/api/v1/legal-holds", {
        "scope": "CONCERN", "target": f" {(await routing.events('CaseOpened'))[0]['reference'].lower()} ",
        "reason": "Sagen er påklaget"})
    assert hold.status_code == 201, hold.text
    both = sorted([str(original), str(duplicate)])
    assert sorted(await announced(routing)) == [(c, "HELD") for c in both]

    years_on = routing.now + timedelta(days=6 * 365)
    assert await erased_at(routing, years_on) == []
    lifted = await post(routing, ADMIN, f"/api/v1/legal-holds/{hold.json()['hold_id']}/lift",
                        {"reason": "Klagen er afgjort"})
    assert lifted.status_code == 200 and lifted.json()["in_force"] is False
    assert sorted(await erased_at(routing, years_on)) == both
    assert sorted(await announced(routing)) == sorted(
        [(c, change) for c in both for change in ("HELD", "HOLD_LIFTED", "ERASED")])
    assert await routing.case_ids(original) == [] and await routing.underretninger(original) == []
    assert await erased_at(routing, years_on) == []


async def test_a_concern_that_never_became_a_case_goes_after_the_short_period(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    withdrawn = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    moved = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    await close(routing, withdrawn, "WITHDRAWN_NOT_APPLICABLE")
    await close(routing, moved, "MOVED")
    period = timedelta(days=routing.container.settings.not_a_case_retention_days)
    assert await erased_at(routing, routing.now + period - timedelta(minutes=1)) == []
    assert await erased_at(routing, routing.now + period + timedelta(minutes=1)) == [str(withdrawn)]
    assert await routing.case_ids(moved) != []


async def test_a_hold_on_a_person_covers_a_concern_about_them_received_later(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    first = await routing.submit(concern_body(subjects=[person(ADULT, cpr="0101901234")]), RECEIVED)
    hold = await post(routing, ADMIN, "/api/v1/legal-holds",
                      {"scope": "PERSON", "target": "010190-1234", "reason": "Indsigtsanmodning"})
    assert hold.status_code == 201 and hold.json()["target"] is None and hold.json()["concerns_covered"] == 1
    later = await routing.submit(concern_body(subjects=[person(ADULT, cpr="0101901234")]), routing.now)
    await routing.container.retention.run()  # every run tells the others about newly held concerns
    assert sorted(await announced(routing)) == sorted([(str(first), "HELD"), (str(later), "HELD")])
    async with routing.client(*ADMIN) as client:
        [listed] = (await client.get("/api/v1/legal-holds")).json()
    assert listed["concerns_covered"] == 2 and "0101901234" not in str(listed)


async def test_only_administrators_hold_with_a_reason_and_a_known_target(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    body = {"scope": "CASE", "target": str(case_id), "reason": "Sagen er påklaget"}
    async with routing.client(*MUNICIPAL) as tovholder:
        assert (await tovholder.get("/api/v1/legal-holds")).status_code == 403
        assert (await tovholder.post("/api/v1/legal-holds", json=body)).status_code == 403
        assert (await tovholder.get("/api/v1/retention/plan")).status_code == 403
    for changed, status in (({"reason": "kort"}, 422), ({"target": "not-a-uuid"}, 422),
                            ({"target": str(UUID(int=7))}, 404), ({"scope": "PERSON", "target": "12345"}, 422),
                            ({"scope": "CONCERN", "target": "IH-2026-0000-0000"}, 404)):
        assert (await post(routing, ADMIN, "/api/v1/legal-holds", {**body, **changed})).status_code == status
    assert (await post(routing, ADMIN, f"/api/v1/legal-holds/{UUID(int=8)}/lift",
                       {"reason": "Ingen grund"})).status_code == 404
    assert await announced(routing) == []
    async with routing.client(*ADMIN) as admin:
        plan = (await admin.get("/api/v1/retention/plan")).json()
    assert plan["service"] == "routing" and plan["counts"]["concerns"] == 0
