"""The staff workspace's lists through HTTP: the inbox of infohus cases and StraXen's list of underretninger
(order, filters, keyset paging, read-access rows, who may list), and the typed case view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from services.routing.adapters.orm import read_access_log
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

TUESDAY = "2026-03-03T10:00:00+01:00"  # office open
MUNICIPAL = ("mette", "tovholder_municipal")
POLICE = ("peter", "tovholder_police")
STRAXEN = ("sofie", "straxen")
Params = list[tuple[str, str | int | float | bool | None]]


async def get(routing: RoutingHarness, who: tuple[str, str], path: str, params: Params | None = None) -> Any:
    async with routing.client(*who) as client:
        response = await client.get(path, params=params or [])
    assert response.status_code == 200, response.text
    return response.json()


async def status(routing: RoutingHarness, who: tuple[str, str], path: str, params: Params | None = None) -> int:
    async with routing.client(*who) as client:
        return (await client.get(path, params=params or [])).status_code


async def inbox(routing: RoutingHarness, params: Params | None = None, who: tuple[str, str] = MUNICIPAL) -> Any:
    return await get(routing, who, "/api/v1/cases", params)


async def refs(routing: RoutingHarness, params: Params | None = None) -> list[str]:
    return [c["reference"] for c in (await inbox(routing, params))["items"]]


async def read_rows(routing: RoutingHarness) -> list[tuple[str, str, str, str]]:
    t = read_access_log.c
    async with routing.container.unit_of_work() as uow:
        rows = (await uow.session.execute(select(t.user_id, t.case_kind, t.case_id, t.purpose))).all()
    return sorted((r[0], r[1], r[2], r[3]) for r in rows)


async def post(routing: RoutingHarness, who: tuple[str, str], path: str, body: dict[str, Any]) -> Any:
    async with routing.client(*who) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def seed(routing: RoutingHarness) -> dict[str, str]:
    """Four cases: P2 (adult), P1 (crime), P0 (acute), and a second P1 received later; reference -> case id."""
    routing.now = datetime.fromisoformat(TUESDAY)
    bodies = {
        "ISH-P2": concern_body(subjects=[person(ADULT, cpr="010190-1234")]),
        "ISH-P1-A": concern_body(subjects=[person(ADULT)], crime=True),
        "ISH-P0": concern_body(subjects=[person(ADULT)], acuteness="ACUTE"),
        "ISH-P1-B": concern_body(subjects=[person(ADULT)], acuteness="URGENT"),
    }
    cases = {}
    for reference, body in bodies.items():
        routing.advance(minutes=5)
        concern_id = await routing.submit(body, routing.now, reference=reference)
        [cases[reference]] = await routing.case_ids(concern_id)
    return cases


async def test_the_inbox_lists_the_most_urgent_first_and_logs_each_case(routing: RoutingHarness) -> None:
    cases = await seed(routing)
    page = await inbox(routing)
    assert [c["reference"] for c in page["items"]] == ["ISH-P0", "ISH-P1-A", "ISH-P1-B", "ISH-P2"]
    assert [c["priority"] for c in page["items"]] == ["P0", "P1", "P1", "P2"]
    assert page["total"] == 4 and page["next_cursor"] is None
    first = page["items"][0]
    assert first["flags"] == ["ACUTE", "DISCLOSURE_PROPOSED_TASK"]  # a JSON list, not a string
    assert first["subject_path"] == "subjects[0]" and first["state"] == "RECEIVED"
    assert first["triage_complete"] is False and first["overdue"] is False
    assert first["awaiting"] == ["tovholder_municipal", "tovholder_police"]
    assert first["triage_signoffs"] == {"tovholder_municipal": None, "tovholder_police": None}
    assert [t["kind"] for t in first["open_tasks"]] == ["DISCLOSURE_PROPOSED"]
    assert await read_rows(routing) == sorted(("mette", "infohus_case", case_id, "triage")
                                              for case_id in cases.values())


async def test_each_filter(routing: RoutingHarness) -> None:
    cases = await seed(routing)
    assert await refs(routing, [("priority", "P1")]) == ["ISH-P1-A", "ISH-P1-B"]
    assert await refs(routing, [("priority", "P0"), ("priority", "P2")]) == ["ISH-P0", "ISH-P2"]
    assert await refs(routing, [("reference", "ISH-P1-B")]) == ["ISH-P1-B"]
    assert await refs(routing, [("cpr", "0101901234")]) == ["ISH-P2"]
    assert await refs(routing, [("cpr", "010190-1234")]) == ["ISH-P2"]
    assert await refs(routing, [("cpr", "0101901235")]) == []
    concern_ids = {c["reference"]: c["concern_id"] for c in (await inbox(routing))["items"]}
    assert await refs(routing, [("concern_id", concern_ids["ISH-P2"]), ("concern_id", concern_ids["ISH-P0"])]) == [
        "ISH-P0", "ISH-P2"]
    assert await refs(routing, [("mine", "true")]) == []

    # Mette signs the P1-A triage, both sign P0 (so it leaves RECEIVED), the P2 case is closed.
    await post(routing, MUNICIPAL, f"/api/v1/cases/{cases['ISH-P1-A']}/triage", {"outcome": "IN_SCOPE"})
    for who in (MUNICIPAL, POLICE):
        await post(routing, who, f"/api/v1/cases/{cases['ISH-P0']}/triage", {"outcome": "IN_SCOPE"})
    await post(routing, POLICE, f"/api/v1/cases/{cases['ISH-P2']}/actions",
               {"action": "CLOSE", "reason": "DUPLICATE"})
    assert await refs(routing, [("mine", "true")]) == ["ISH-P0", "ISH-P1-A"]
    assert await refs(routing, [("state", "IN_SCOPE")]) == ["ISH-P0"]
    assert await refs(routing, [("state", "RECEIVED"), ("state", "IN_SCOPE")]) == ["ISH-P0", "ISH-P1-A", "ISH-P1-B"]
    assert await refs(routing) == ["ISH-P0", "ISH-P1-A", "ISH-P1-B"]  # closed cases are left out
    assert await refs(routing, [("include_closed", "true")]) == ["ISH-P0", "ISH-P1-A", "ISH-P1-B", "ISH-P2"]

    # Overdue: triage not complete and past its due time (P1: Wednesday's closing time).
    assert await refs(routing, [("overdue", "true")]) == []
    routing.now = datetime.fromisoformat("2026-03-04T16:00:00+01:00")
    page = await inbox(routing, [("overdue", "true")])
    assert [c["reference"] for c in page["items"]] == ["ISH-P1-A", "ISH-P1-B"]
    assert all(c["overdue"] for c in page["items"])
    assert page["items"][0]["triage_signoffs"]["tovholder_municipal"]["user_id"] == "mette"
    assert page["items"][0]["awaiting"] == ["tovholder_police"]
    assert await refs(routing, [("overdue", "false")]) == ["ISH-P0"]


async def test_paging_with_a_cursor_and_a_bad_cursor(routing: RoutingHarness) -> None:
    await seed(routing)
    seen, cursor, pages = [], None, 0
    while True:
        params: Params = [("limit", "3")] + ([("cursor", cursor)] if cursor else [])
        page = await inbox(routing, params)
        seen += [c["reference"] for c in page["items"]]
        pages += 1
        assert page["total"] == 4
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2 and seen == ["ISH-P0", "ISH-P1-A", "ISH-P1-B", "ISH-P2"]
    for bad in ("not-a-cursor", "WzAsWyJ4Il1d", "eyJ4IjoxfQ", "W10"):
        assert await status(routing, MUNICIPAL, "/api/v1/cases", [("cursor", bad)]) == 422, bad
    for bad_param in (("limit", "0"), ("limit", "101"), ("cpr", "12345"), ("priority", "P9"), ("state", "X")):
        assert await status(routing, MUNICIPAL, "/api/v1/cases", [bad_param]) == 422, bad_param


async def test_who_may_list(routing: RoutingHarness) -> None:
    await routing.submit(concern_body(subjects=[person(MINOR)]), TUESDAY)
    assert await status(routing, ("", ""), "/api/v1/cases") == 401
    assert await status(routing, ("", ""), "/api/v1/underretninger") == 401
    assert await status(routing, STRAXEN, "/api/v1/cases") == 403
    for who in (MUNICIPAL, POLICE):
        assert await status(routing, who, "/api/v1/underretninger") == 403, who
    assert await status(routing, POLICE, "/api/v1/cases") == 200
    assert await status(routing, STRAXEN, "/api/v1/underretninger") == 200
    refused = [r for r in await read_rows(routing) if r[0] in ("sofie",) and r[1] == "infohus_case"]
    assert refused == []


async def test_straxens_list_order_overdue_flags_and_read_rows(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(TUESDAY)
    first = await routing.submit(concern_body(reporter="CITIZEN", subjects=[person(MINOR)]), TUESDAY,
                                 reference="ISH-U-1")
    routing.advance(hours=2)
    second = await routing.submit(concern_body(reporter="CITIZEN", subjects=[person(MINOR)]), routing.now,
                                  reference="ISH-U-2")
    routing.advance(hours=1)
    third = await routing.submit(concern_body(reporter="CITIZEN_NO_CONTACT", subjects=[person(MINOR)]), routing.now,
                                 reference="ISH-U-3")
    ids = {}
    for reference, concern_id in (("ISH-U-1", first), ("ISH-U-2", second), ("ISH-U-3", third)):
        [row] = await routing.underretninger(concern_id)
        ids[reference] = row["underretning_id"]
    page = await get(routing, STRAXEN, "/api/v1/underretninger")
    assert [u["reference"] for u in page["items"]] == ["ISH-U-1", "ISH-U-2", "ISH-U-3"]
    assert page["items"][0]["subject"] == "subjects[0]" and page["items"][0]["case_id"] is not None
    assert [t["kind"] for t in page["items"][0]["open_tasks"]] == ["RECEIPT_CONFIRMATION"]
    assert not any(u["assessment_overdue"] or u["receipt_overdue"] for u in page["items"])
    assert sorted(r[2] for r in await read_rows(routing) if r[0] == "sofie") == sorted(ids.values())

    # The first is assessed: the unassessed come first (by deadline), then the assessed by receipt date.
    await post(routing, STRAXEN, f"/api/v1/cases/underretninger/{ids['ISH-U-1']}/assessment",
               {"acute_measures_needed": False})
    routing.now = datetime.fromisoformat("2026-03-04T12:30:00+01:00")  # second's 24 hours ran out at 12:00
    page = await get(routing, STRAXEN, "/api/v1/underretninger")
    assert [u["reference"] for u in page["items"]] == ["ISH-U-2", "ISH-U-3", "ISH-U-1"]
    assert [u["assessment_overdue"] for u in page["items"]] == [True, False, False]
    # Paging crosses from the unassessed to the assessed.
    one = await get(routing, STRAXEN, "/api/v1/underretninger", [("limit", "2")])
    two = await get(routing, STRAXEN, "/api/v1/underretninger", [("limit", "2"), ("cursor", one["next_cursor"])])
    assert [u["reference"] for u in one["items"] + two["items"]] == ["ISH-U-2", "ISH-U-3", "ISH-U-1"]
    assert two["next_cursor"] is None
    assert await status(routing, STRAXEN, "/api/v1/underretninger", [("cursor", "WzksW11d")]) == 422

    routing.now = datetime.fromisoformat("2026-03-12T09:00:00+01:00")  # after the 6th hverdag (11 March)
    receipt = {u["reference"]: u["receipt_overdue"] for u in (await get(routing, STRAXEN, "/api/v1/underretninger"))
               ["items"]}
    assert receipt == {"ISH-U-1": True, "ISH-U-2": True, "ISH-U-3": False}  # the third's reporter has no contact


async def test_the_case_view_explains_the_decision_in_danish(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(TUESDAY)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), TUESDAY,
                                      reference="ISH-EXPLAIN")
    [case_id] = await routing.case_ids(concern_id)
    [underretning] = await routing.underretninger(concern_id)
    view = await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}")
    decision = view["decision"]
    assert [r["rule"] for r in decision["rules"]] == ["R1", "R2", "R7"]
    assert decision["rules"][1]["text"] == (
        "R2: Personen kan være under 18 år, så der er oprettet en underretning til StraXen (barnets lov § 133/135).")
    assert all(r["text"].startswith(r["rule"] + ": ") and len(r["text"]) > 30 for r in decision["rules"])
    assert decision["destinations"] == ["INFOHUS_TK", "UNDERRETNING"] and decision["priority"] == "P1"
    assert (decision["time_context"], decision["time_context_text"]) == ("OFFICE_OPEN", "kontortid")
    assert decision["config_version"]
    assert view["subject_path"] == "subjects[0]"
    assert view["awaiting"] == ["tovholder_municipal", "tovholder_police"]
    assert view["underretninger"] == [{"underretning_id": underretning["underretning_id"], "state": "REGISTERED",
                                       "assessment_due_at": view["underretninger"][0]["assessment_due_at"],
                                       "assessed_at": None, "concern_id": str(concern_id),
                                       "reference": "ISH-EXPLAIN"}]
    assert {c["kind"] for c in view["clocks"]} == {"TRIAGE", "ASSESSMENT", "RECEIPT_CONFIRMATION"}
    assert set(view["clocks"][0]) >= {"kind", "due_at", "stopped_at", "events"}
    assert isinstance(view["record"], dict) and isinstance(view["flags"], list)
    assert isinstance(view["timeline"][0]["details"], dict) and view["timeline"][0]["details"]["flags"] == []
    assert view["deliveries"] == []
    assert "trace_id" not in view


async def test_by_reference_and_the_underretning_view_are_typed(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(TUESDAY)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), TUESDAY,
                                      reference="ISH-TYPED")
    [row] = await routing.underretninger(concern_id)
    [summary] = await get(routing, MUNICIPAL, "/api/v1/cases/by-reference/ISH-TYPED")
    assert summary["flags"] == [] and summary["subject_path"] == "subjects[0]"
    assert "record" not in summary and "trace_id" not in summary
    view = await get(routing, STRAXEN, f"/api/v1/cases/underretninger/{row['underretning_id']}")
    assert (view["reference"], view["subject"], view["case_id"]) == ("ISH-TYPED", "subjects[0]", row["case_id"])
    assert sorted(t["kind"] for t in view["tasks"]) == ["PROFESSIONAL_ORIENTATION", "RECEIPT_CONFIRMATION"]
    assert all(isinstance(t["details"], dict) for t in view["tasks"])


@pytest.mark.parametrize("params", [
    {"from": "2026-03-03T10:00:00", "to": "2026-03-04T10:00:00+01:00"},  # no offset
    {"from": "2026-03-03T10:00:00+01:00", "to": "2026-03-04T10:00:00"},
    {"from": "2026-03-03T10:00:00+01:00", "to": "2026-03-04T10:00:00+01:00", "cursor": "garbage"},
    {"from": "2026-03-03T10:00:00+01:00", "to": "2026-03-04T10:00:00+01:00", "cursor": "2026-03-03T10:00:00|x"},
])
async def test_requested_notifications_refuse_bad_input_with_422(routing: RoutingHarness,
                                                                  params: dict[str, str]) -> None:
    async with routing.client("notify-watchdog", "service_notify") as client:  # notify's service identity
        response = await client.get("/api/v1/notifications/requested", params=params)
    assert response.status_code == 422, response.text
