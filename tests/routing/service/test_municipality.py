"""Cases and underretninger belong to a municipality (Ishøj, 183): staff of another municipality get 404 on
every read and write, empty lists, and no read-log rows; the same users with 183 work (both databases)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness
from tests.routing.service.test_read_access_log import RECEIVED, rows

TOVHOLDER, STRAXEN = "tovholder_municipal", "straxen"


def client(routing: RoutingHarness, role: str, municipality: Any) -> httpx.AsyncClient:
    token = routing.idp.token(roles=[role], subject=f"{role}-{municipality}", claims={"municipality": municipality})
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=routing.app()), base_url="https://routing.test",
                             headers={"authorization": f"Bearer {token}"})


async def concern(routing: RoutingHarness) -> dict[str, Any]:
    routing.now = datetime.fromisoformat(RECEIVED)
    body = concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR), {**ADULT, "municipality": "Brøndby"}])
    concern_id = await routing.submit(body, RECEIVED, reference="ISH-KOM-0001")
    first, _second = await routing.case_ids(concern_id)
    [underretning] = await routing.underretninger(concern_id)
    async with routing.container.unit_of_work() as uow:
        tasks = {t.kind.value: str(t.task_id) for t in await uow.tasks.for_concern(concern_id)}
    return {"case": first, "underretning": underretning["underretning_id"], "tasks": tasks}


async def test_staff_of_another_municipality_see_and_change_nothing(routing: RoutingHarness) -> None:
    ids = await concern(routing)
    case, underretning, tasks = ids["case"], ids["underretning"], ids["tasks"]
    async with client(routing, TOVHOLDER, "167") as hvidovre:
        for path in (f"/api/v1/cases/{case}", "/api/v1/cases/by-reference/ISH-KOM-0001",
                     f"/api/v1/cases/{case}/disclosure-draft"):
            assert (await hvidovre.get(path)).status_code == 404, path
        inbox = (await hvidovre.get("/api/v1/cases", params={"include_closed": "true"})).json()
        assert (inbox["items"], inbox["total"]) == ([], 0)
        assert (await hvidovre.get("/api/v1/cases/tasks")).json() == []
        writes = [(f"/api/v1/cases/{case}/triage", {"outcome": "IN_SCOPE"}),
                  (f"/api/v1/cases/{case}/actions", {"action": "HOLD"}),
                  (f"/api/v1/cases/{case}/age-corrections", {"reason": "Forkert alder", "stated_age": 19,
                                                             "person": "subjects[0]"}),
                  (f"/api/v1/cases/tasks/{tasks['JURISDICTION_REVIEW']}/forwarding",
                   {"recipient_municipality": "Brøndby", "channel": "PHONE"})]
        for path, body in writes:
            response = await hvidovre.post(path, json=body)
            assert response.status_code == 404, (path, response.text)
    async with client(routing, STRAXEN, "167") as straxen:
        assert (await straxen.get(f"/api/v1/cases/underretninger/{underretning}")).status_code == 404
        assert (await straxen.get("/api/v1/underretninger")).json()["items"] == []
        assert (await straxen.get("/api/v1/cases/tasks")).json() == []
        writes = [(f"/api/v1/cases/underretninger/{underretning}/assessment", {"acute_measures_needed": False}),
                  (f"/api/v1/cases/tasks/{tasks['RECEIPT_CONFIRMATION']}/receipt",
                   {"method": "telefon", "sent_at": RECEIVED}),
                  (f"/api/v1/cases/tasks/{tasks['PROFESSIONAL_ORIENTATION']}/orientation",
                   {"outcome": "NONE"})]
        for path, body in writes:
            response = await straxen.post(path, json=body)
            assert response.status_code == 404, (path, response.text)
    assert await rows(routing) == 0

    async with client(routing, TOVHOLDER, "183") as ishoj:
        view = (await ishoj.get(f"/api/v1/cases/{case}")).json()
        assert view["version"] == 0 and view["state"] == "RECEIVED"  # the refused writes changed nothing
    async with client(routing, STRAXEN, "183") as straxen:
        assert (await straxen.get(f"/api/v1/cases/underretninger/{underretning}")).json()["assessed_at"] is None


async def test_staff_of_the_municipality_work_as_before(routing: RoutingHarness) -> None:
    ids = await concern(routing)
    for municipality in ("183", ["167", "183"], "167 183"):
        async with client(routing, TOVHOLDER, municipality) as tovholder:
            assert (await tovholder.get(f"/api/v1/cases/{ids['case']}")).status_code == 200
            assert (await tovholder.get("/api/v1/cases")).json()["total"] == 2
            assert len((await tovholder.get("/api/v1/cases/by-reference/ISH-KOM-0001")).json()) == 2
        async with client(routing, STRAXEN, municipality) as straxen:
            assert (await straxen.get(f"/api/v1/cases/underretninger/{ids['underretning']}")).status_code == 200
            assert [u["underretning_id"] for u in (await straxen.get("/api/v1/underretninger")).json()["items"]] \
                == [ids["underretning"]]
    async with client(routing, TOVHOLDER, "183") as tovholder:
        response = await tovholder.post(f"/api/v1/cases/{ids['case']}/triage", json={"outcome": "IN_SCOPE"})
        assert response.status_code == 200, response.text
    assert await rows(routing) > 0


async def test_a_token_without_the_claim_has_the_default_municipality(routing: RoutingHarness) -> None:
    ids = await concern(routing)
    async with routing.client("tove", TOVHOLDER) as tovholder:  # no claim: the test environment's 183
        assert (await tovholder.get(f"/api/v1/cases/{ids['case']}")).status_code == 200
    async with client(routing, TOVHOLDER, []) as nobody:  # the claim names no municipality: nothing
        assert (await nobody.get(f"/api/v1/cases/{ids['case']}")).status_code == 404
