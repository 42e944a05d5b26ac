"""Item 5 (age correction) and R0b (near duplicates): clocks keep the original receipt, never reset silently."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from contracts.concern import ConcernIn
from services.routing.domain.duplicates import fingerprint
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")


async def post(routing: RoutingHarness, path: str, body: dict[str, Any]) -> httpx.Response:
    async with routing.client(*MUNICIPAL) as client:
        return await client.post(path, json=body)


async def timeline(routing: RoutingHarness, case_id: str) -> list[dict[str, Any]]:
    async with routing.client(*MUNICIPAL) as client:
        return (await client.get(f"/api/v1/cases/{case_id}")).json()["timeline"]  # type: ignore[no-any-return]


async def test_age_corrected_to_minor_opens_the_late_underretning_and_reports_the_breach(
        routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(reporter="CITIZEN", subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    assert await routing.underretninger(concern_id) == []

    routing.advance(hours=30)  # the 24 hours ran out before anyone knew the subject is 13
    response = await post(routing, f"/api/v1/cases/{case_id}/age-corrections",
                          {"date_of_birth": "2012-05-05", "reason": "Skolen oplyste korrekt fødselsdato"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["from_band"], result["to_band"]) == ("ADULT", "MINOR")
    assert datetime.fromisoformat(result["received_at"]) == datetime.fromisoformat(RECEIVED)
    assert datetime.fromisoformat(result["assessment_due_at"]) == datetime.fromisoformat(RECEIVED) + timedelta(hours=24)
    assert "ASSESSMENT_BREACHED" in result["deadline_events"]

    [underretning] = await routing.underretninger(concern_id)
    assert underretning["origin"] == "AGE_CORRECTION" and underretning["legal_type"] == "BL_135"
    breaches = [e for e in await routing.events("DeadlineReached") if e["kind"] == "ASSESSMENT_BREACHED"]
    assert [b["underretning_id"] for b in breaches] == [underretning["underretning_id"]]
    mails = [m for m in await routing.events("NotificationRequested") if m["destination"] == "UNDERRETNING"]
    assert len(mails) == 1 and mails[0]["priority"] == "P1"
    transfers = [d for d in await routing.events("DisclosureRecorded") if d["recipient_unit"] == "CBF_STRAXEN"]
    assert [t["underretning_id"] for t in transfers] == [underretning["underretning_id"]]
    actions = [e["action"] for e in await timeline(routing, case_id)]
    assert {"AGE_CORRECTED", "PRIORITY_RAISED", "UNDERRETNING_REGISTERED"} <= set(actions)

    # Correcting again changes nothing more: one underretning per child, one breach per clock.
    again = await post(routing, f"/api/v1/cases/{case_id}/age-corrections",
                       {"date_of_birth": "2012-05-05", "reason": "igen"})
    assert again.json()["underretning_id"] is None
    await routing.container.scan_deadlines_once()
    assert len(await routing.underretninger(concern_id)) == 1
    kinds = [e["kind"] for e in await routing.events("DeadlineReached")]
    assert kinds.count("ASSESSMENT_BREACHED") == 1


async def test_age_corrected_to_adult_keeps_the_underretning_and_its_clock(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    response = await post(routing, f"/api/v1/cases/{case_id}/age-corrections",
                          {"date_of_birth": "1990-01-01", "reason": "CPR-opslag"})
    assert response.json()["to_band"] == "ADULT"
    assert len(await routing.underretninger(concern_id)) == 1
    assert "UNDERRETNING_KEPT" in [e["action"] for e in await timeline(routing, case_id)]
    routing.advance(days=2)
    await routing.container.scan_deadlines_once()
    assert "ASSESSMENT_BREACHED" in [e["kind"] for e in await routing.events("DeadlineReached")]


async def test_age_correction_needs_evidence_and_a_tovholder(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    assert (await post(routing, f"/api/v1/cases/{case_id}/age-corrections", {"reason": "x"})).status_code == 422
    async with routing.client("sofie", "straxen") as client:
        response = await client.post(f"/api/v1/cases/{case_id}/age-corrections",
                                     json={"stated_age": 12, "reason": "x"})
    assert response.status_code == 403


def near_duplicate_body(**changes: Any) -> dict[str, Any]:
    body = concern_body(reporter="CITIZEN", subjects=[person(MINOR, name="Mads Nielsen", cpr="0505121234")])
    body["description"] = "Mads taler om vold mod anderledes tænkende."
    return {**body, **changes}


async def test_near_duplicate_links_to_the_original_and_opens_nothing_new(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    original = await routing.submit(near_duplicate_body(), RECEIVED)
    before = {kind: len(await routing.events(kind)) for kind in ("CaseOpened", "DeadlineReached")}
    routing.advance(hours=5)
    again = near_duplicate_body(submission_id="another-submission",
                                description="  MADS taler om vold mod anderledes-tænkende!  ")
    duplicate = await routing.submit(again, routing.now)

    assert await routing.case_ids(duplicate) == [] and await routing.underretninger(duplicate) == []
    assert len(await routing.events("CaseOpened")) == before["CaseOpened"]
    supplements = [m for m in await routing.events("NotificationRequested") if m["purpose"] == "SUPPLEMENT"]
    assert sorted(m["destination"] for m in supplements) == ["INFOHUS_TK", "UNDERRETNING"]
    assert {m["concern_id"] for m in supplements} == {str(original)}
    [case_id] = await routing.case_ids(original)
    linked = [e for e in await timeline(routing, case_id) if e["action"] == "SUPPLEMENT_LINKED"]
    assert linked[0]["details"]["concern_id"] == str(duplicate)
    async with routing.container.unit_of_work() as uow:
        [underretning] = await uow.underretninger.for_concern(original)
    assert underretning.received_at == datetime.fromisoformat(RECEIVED)  # a later supplement moves nothing


async def test_an_earlier_near_duplicate_moves_the_clocks_to_the_earliest_receipt(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    original = await routing.submit(near_duplicate_body(), RECEIVED)
    earlier = datetime.fromisoformat(RECEIVED) - timedelta(hours=20)  # a phone note entered late
    await routing.submit(near_duplicate_body(submission_id="phone-note-0001", channel="PHONE",
                                             received_at=earlier.isoformat()), earlier)
    [case_id] = await routing.case_ids(original)
    moved = [e for e in await timeline(routing, case_id) if e["action"] == "CLOCKS_MOVED_EARLIER"]
    assert len(moved) == 1
    assert datetime.fromisoformat(moved[0]["details"]["to_received_at"]) == earlier
    routing.advance(hours=4, minutes=1)  # 24 h after the earlier receipt, not after the original
    await routing.container.scan_deadlines_once()
    [breach] = [e for e in await routing.events("DeadlineReached") if e["kind"] == "ASSESSMENT_BREACHED"]
    assert datetime.fromisoformat(breach["due_at"]) == earlier + timedelta(hours=24)


async def new_concern_on_the_persons_case(routing: RoutingHarness, original: Any, second: Any) -> None:
    """Not a duplicate: the second concern brings its own underretning, and joins the person's open case
    (one person, one infohus case) instead of opening one."""
    async with routing.container.unit_of_work() as uow:
        facts = await uow.facts.get(second)
        joined = await uow.person_links.joined_cases(second)
    assert facts is not None and facts.duplicate_of is None
    assert len(await routing.underretninger(second)) == 1
    assert await routing.case_ids(second) == [] and [str(c) for c in joined] == await routing.case_ids(original)


async def test_a_different_reporter_is_never_a_duplicate(routing: RoutingHarness) -> None:
    original = await routing.submit(near_duplicate_body(), RECEIVED)
    other = near_duplicate_body(submission_id="other-reporter-1",
                                reporter={"category": "CITIZEN", "name": "Anden Borger", "phone": "87654321"})
    second = await routing.submit(other, RECEIVED)
    await new_concern_on_the_persons_case(routing, original, second)


async def test_outside_the_window_is_new(routing: RoutingHarness) -> None:
    original = await routing.submit(near_duplicate_body(), RECEIVED)
    later = datetime.fromisoformat(RECEIVED) + timedelta(hours=73)
    routing.now = later
    second = await routing.submit(near_duplicate_body(submission_id="much-later-0001"), later)
    await new_concern_on_the_persons_case(routing, original, second)


async def test_the_near_duplicate_look_up_reads_only_concerns_that_can_match(routing: RoutingHarness) -> None:
    """The same text from many reporters (a campaign, a load test) must not make each decision read them all."""
    original = near_duplicate_body()
    await routing.submit(original, RECEIVED)
    for n in range(3):  # same text and subject, other reporters; and same text and reporter, other subjects
        await routing.submit(near_duplicate_body(submission_id=f"campaign-{n:04d}-abcdef", reporter={
            "category": "CITIZEN", "name": f"Borger {n}", "phone": f"8765432{n}"}), RECEIVED)
        await routing.submit(near_duplicate_body(submission_id=f"others-{n:04d}-abcdef", subjects=[
            person(MINOR, name=f"Barn {n}", cpr=f"050512123{n}")]), RECEIVED)
    at = datetime.fromisoformat(RECEIVED)
    async with routing.container.unit_of_work() as uow:
        same = await uow.facts.near_duplicate_candidates(
            fingerprint(ConcernIn.model_validate(original), at, routing.container.deps.hmac_key), timedelta(hours=72))
        nameless = await uow.facts.near_duplicate_candidates(fingerprint(ConcernIn.model_validate(
            {**original, "subjects": [person(MINOR)]}), at, routing.container.deps.hmac_key), timedelta(hours=72))
    assert len(same) == 1  # only the original: the six others share the text but not both keys
    assert nameless == []  # a subject with no key can match nothing: nothing is read
