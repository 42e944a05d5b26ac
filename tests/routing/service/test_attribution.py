"""Every routing write is attributed to the signed-in identity (user id and role from the token), never to
what the body says: bodies refuse any field they do not define (422), and the records name the token's user."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from tests.routing.builders import ADULT, concern_body, person
from tests.routing.conftest import RoutingHarness

CLOSED_NIGHT = "2026-03-03T23:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
POLICE = ("peter", "tovholder_police")
STRAXEN = ("sofie", "straxen")
NECESSITY = "Akut fare for andres sikkerhed; politiet skal kunne handle straks i infohussamarbejdet."
SOME_ID = UUID(int=7)

WRITES: list[tuple[tuple[str, str], str, dict[str, Any]]] = [
    (MUNICIPAL, f"/api/v1/cases/{SOME_ID}/triage", {"outcome": "IN_SCOPE"}),
    (MUNICIPAL, f"/api/v1/cases/{SOME_ID}/actions", {"action": "ADD_NOTE", "note": "Ring til skolen."}),
    (MUNICIPAL, f"/api/v1/cases/{SOME_ID}/age-corrections", {"reason": "CPR oplyst", "stated_age": 15}),
    (STRAXEN, f"/api/v1/cases/underretninger/{SOME_ID}/assessment", {"acute_measures_needed": False}),
    (STRAXEN, f"/api/v1/cases/tasks/{SOME_ID}/receipt", {"method": "telefon", "sent_at": CLOSED_NIGHT}),
    (STRAXEN, f"/api/v1/cases/tasks/{SOME_ID}/orientation", {"outcome": "UNDERSOEGELSE"}),
    (MUNICIPAL, f"/api/v1/cases/tasks/{SOME_ID}/disclosure-decision",
     {"approved": False, "legal_basis": "GDPR_VITAL_INTEREST", "necessity_assessment": NECESSITY}),
    (MUNICIPAL, f"/api/v1/cases/tasks/{SOME_ID}/forwarding", {"recipient_municipality": "Brøndby"}),
]


CLAIMS = [{"executed_by": "sofie (straxen)"}, {"actor": "peter"}, {"user_id": "peter"}, {"decided_by": "peter"},
          {"actor_role": "tovholder_police"}, {"completed_by": "peter"}]


async def test_no_body_names_who_acted(routing: RoutingHarness) -> None:
    for who, path, body in WRITES:
        async with routing.client(*who) as client:
            for claim in CLAIMS:
                response = await client.post(path, json={**body, **claim})
                assert response.status_code == 422, (path, claim, response.text)
                assert any(str(d["field"]).endswith(next(iter(claim))) for d in response.json()["detail"])


async def test_case_actions_notes_decisions_and_forwardings_carry_the_signed_in_user(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(CLOSED_NIGHT)
    concern_id = await routing.submit(concern_body(subjects=[{**ADULT, "municipality": "Brøndby"}, person(ADULT)],
                                                   acuteness="ACUTE"), CLOSED_NIGHT)
    [case_id, *_] = await routing.case_ids(concern_id)
    async with routing.client(*MUNICIPAL) as mette, routing.client(*POLICE) as peter:
        tasks = {t["kind"]: t for t in (await mette.get("/api/v1/cases/tasks")).json()}
        routing.advance(minutes=10)
        assert (await mette.post(f"/api/v1/cases/{case_id}/triage", json={"outcome": "IN_SCOPE"})).status_code == 200
        assert (await peter.post(f"/api/v1/cases/{case_id}/actions",
                                 json={"action": "ADD_NOTE", "note": "Kendt af politiet."})).status_code == 200
        decided = await mette.post(f"/api/v1/cases/tasks/{tasks['DISCLOSURE_PROPOSED']['task_id']}/disclosure-decision",
                                   json={"approved": True, "legal_basis": "RPL115_2", "cooperation_form": "KSP_C",
                                         "necessity_assessment": NECESSITY})
        forwarded = await peter.post(f"/api/v1/cases/tasks/{tasks['JURISDICTION_REVIEW']['task_id']}/forwarding",
                                     json={"recipient_municipality": "Brøndby", "channel": "LETTER"})
        assert (decided.status_code, forwarded.status_code) == (200, 200), (decided.text, forwarded.text)
        case = (await mette.get(f"/api/v1/cases/{case_id}")).json()
    entries = {(e["action"], e["actor"], e["actor_role"]) for e in case["timeline"]}
    assert {("TRIAGE_SIGNED", "mette", "tovholder_municipal"), ("NOTE_ADDED", "peter", "tovholder_police"),
            ("DISCLOSURE_DECIDED", "mette", "tovholder_municipal"),
            ("FORWARDED", "peter", "tovholder_police")} <= entries
    records = {d["recipient_authority"]: d for d in await routing.events("DisclosureRecorded")
               if d["kind"] == "DISCLOSURE"}
    police, other = records["KBHV_POLITI_INFOHUS"], records["OTHER_MUNICIPALITY:Brøndby"]
    assert (police["executed_by"], police["decided_by"]) == ("mette (tovholder_municipal)",) * 2
    assert (other["executed_by"], other["decided_by"]) == ("peter (tovholder_police)",) * 2
    done = {t["kind"]: t for t in case["tasks"]}
    assert (done["DISCLOSURE_PROPOSED"]["completed_by"],
            done["DISCLOSURE_PROPOSED"]["details"]["completed_by_role"]) == ("mette", "tovholder_municipal")
    assert (done["JURISDICTION_REVIEW"]["completed_by"],
            done["JURISDICTION_REVIEW"]["details"]["completed_by_role"]) == ("peter", "tovholder_police")
