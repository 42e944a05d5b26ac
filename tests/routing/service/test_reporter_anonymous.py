"""Every DisclosureRecorded routing emits says whether the concern came from an ANONYMOUS reporter (audit's
invariant I10 applies then); routing never knows a review date or a request, so those stay empty."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

CLOSED_NIGHT = "2026-03-03T23:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
NECESSITY = "Akut fare for andres sikkerhed; politiet skal kunne handle straks i infohussamarbejdet."


async def post(routing: RoutingHarness, path: str, body: dict[str, Any]) -> None:
    async with routing.client(*MUNICIPAL) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("reporter", "anonymous"), [("ANONYMOUS", True), ("ANONYMOUS_PROFESSIONAL", True),
                                                     ("CITIZEN", False), ("PROF_PUBLIC", False)])
async def test_every_disclosure_record_carries_the_reporters_anonymity(
        routing: RoutingHarness, reporter: str, anonymous: bool) -> None:
    routing.now = datetime.fromisoformat(CLOSED_NIGHT)
    body = concern_body(reporter=reporter, subjects=[{**MINOR, "municipality": "Brøndby"}], acuteness="ACUTE")
    await routing.submit(body, CLOSED_NIGHT)
    async with routing.client(*MUNICIPAL) as client:
        tasks = {t["kind"]: t for t in (await client.get("/api/v1/cases/tasks")).json()}
    routing.advance(minutes=10)
    await post(routing, f"/api/v1/cases/tasks/{tasks['DISCLOSURE_PROPOSED']['task_id']}/disclosure-decision",
               {"approved": True, "legal_basis": "RPL115_2", "cooperation_form": "KSP_C",
                "necessity_assessment": NECESSITY})
    await post(routing, f"/api/v1/cases/tasks/{tasks['JURISDICTION_REVIEW']['task_id']}/forwarding",
               {"recipient_municipality": "Brøndby"})

    records = await routing.events("DisclosureRecorded")
    kinds = sorted((r["kind"], r["recipient_authority"]) for r in records)
    assert kinds == [("DISCLOSURE", "KBHV_POLITI_INFOHUS"), ("DISCLOSURE", "OTHER_MUNICIPALITY:Brøndby"),
                     ("INTERNAL_TRANSFER", "ISHOEJ_KOMMUNE"), ("INTERNAL_TRANSFER", "ISHOEJ_KOMMUNE")]
    assert [r["reporter_anonymous"] for r in records] == [anonymous] * 4
    assert {(r["review_at"], r["request_ref"]) for r in records} == {(None, None)}


@pytest.mark.parametrize(("reporter", "anonymous"), [("ANONYMOUS", True), ("CITIZEN", False)])
async def test_the_transfer_after_an_age_correction_too(routing: RoutingHarness, reporter: str,
                                                          anonymous: bool) -> None:
    concern_id = await routing.submit(concern_body(reporter=reporter, subjects=[person(ADULT)]), CLOSED_NIGHT)
    [case_id] = await routing.case_ids(concern_id)
    before = len(await routing.events("DisclosureRecorded"))
    await post(routing, f"/api/v1/cases/{case_id}/age-corrections", {"stated_age": 14, "reason": "Skolen"})
    records = await routing.events("DisclosureRecorded")
    [transfer] = records[before:]
    assert transfer["recipient_unit"] == "CBF_STRAXEN"
    assert [r["reporter_anonymous"] for r in records] == [anonymous] * len(records)
