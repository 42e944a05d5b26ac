"""Issue #7 item 4: every read of personal data in a case is logged (who, when, which case, which purpose) in
the same transaction, and auditors (only) can list it; the log refuses UPDATE and DELETE on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from services.routing.adapters.orm import read_access_log
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")
POLICE = ("peter", "tovholder_police")
STRAXEN = ("sofie", "straxen")
AUDITOR = ("revisor-anne", "auditor")


async def get(routing: RoutingHarness, who: tuple[str, str], path: str, **params: str) -> Any:
    async with routing.client(*who) as client:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def status_of(routing: RoutingHarness, who: tuple[str, str], path: str) -> int:
    async with routing.client(*who) as client:
        return (await client.get(path)).status_code


async def logged(routing: RoutingHarness, **params: str) -> list[dict[str, Any]]:
    return await get(routing, AUDITOR, "/api/v1/read-access-log", **params)  # type: ignore[no-any-return]


async def rows(routing: RoutingHarness) -> int:
    async with routing.container.unit_of_work() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(read_access_log))).scalar_one())


async def test_a_tovholders_read_is_one_row_an_auditor_can_list(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    assert await rows(routing) == 0  # routing's own work reads nothing on anyone's behalf
    read_at = routing.advance(minutes=7)
    await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}")

    [entry] = await logged(routing, case_id=case_id)
    assert (entry["user_id"], entry["roles"], entry["case_kind"], entry["case_id"], entry["purpose"]) == (
        "mette", ["tovholder_municipal"], "infohus_case", case_id, "triage")  # RECEIVED: read for triage
    assert entry["service"] == "routing" and datetime.fromisoformat(entry["read_at"]) == read_at
    assert await rows(routing) == 1
    # Only auditors list it.
    for who in (MUNICIPAL, POLICE, STRAXEN, ("a", "administrator"), ("i", "intake")):
        assert await status_of(routing, who, "/api/v1/read-access-log") == 403, who
    assert await status_of(routing, ("", ""), "/api/v1/read-access-log") == 401
    # Listing the log is not itself a read of a case.
    assert await rows(routing) == 1


async def test_the_purpose_given_is_logged_and_filters_work(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    await get(routing, POLICE, f"/api/v1/cases/{case_id}", purpose="disclosure")
    await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}")
    assert [e["purpose"] for e in await logged(routing, user_id="peter")] == ["disclosure"]
    assert [e["user_id"] for e in await logged(routing, case_id=case_id)] == ["peter", "mette"]
    async with routing.client(*MUNICIPAL) as client:
        assert (await client.get(f"/api/v1/cases/{case_id}", params={"purpose": "nysgerrighed"})).status_code == 422
        # The export's own purpose is never a reader's to claim.
        assert (await client.get(f"/api/v1/cases/{case_id}", params={"purpose": "subject_access"})).status_code == 422


async def test_refused_and_missing_reads_are_not_logged(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    [underretning] = await routing.underretninger(concern_id)
    assert await status_of(routing, STRAXEN, f"/api/v1/cases/{case_id}") == 403
    assert await status_of(routing, MUNICIPAL, f"/api/v1/cases/underretninger/{underretning['underretning_id']}") == 403
    assert await status_of(routing, MUNICIPAL, "/api/v1/cases/00000000-0000-0000-0000-000000000000") == 404
    assert await status_of(routing, MUNICIPAL, "/api/v1/cases/by-reference/ISH-INGEN") == 404
    assert await rows(routing) == 0


async def test_reference_underretning_and_task_reads_are_logged_per_case(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    body = concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR), {**ADULT, "municipality": "Brøndby"}])
    concern_id = await routing.submit(body, RECEIVED, reference="ISH-LOG-0001")
    first, second = await routing.case_ids(concern_id)
    [underretning] = await routing.underretninger(concern_id)
    underretning_id = underretning["underretning_id"]

    assert len(await get(routing, MUNICIPAL, "/api/v1/cases/by-reference/ISH-LOG-0001")) == 2
    by_reference = await logged(routing, user_id="mette")
    assert sorted((e["case_id"], e["case_kind"], e["purpose"]) for e in by_reference) == sorted(
        [(first, "infohus_case", "triage"), (second, "infohus_case", "triage")])

    routing.advance(minutes=1)
    await get(routing, STRAXEN, f"/api/v1/cases/underretninger/{underretning_id}")
    [read] = await logged(routing, user_id="sofie")
    assert (read["case_kind"], read["case_id"], read["purpose"]) == (
        "underretning", underretning_id, "underretning_assessment")

    routing.advance(minutes=1)
    tasks = await get(routing, STRAXEN, "/api/v1/cases/tasks")
    # StraXen handles the underretning's § 138 tasks, never an infohus case's (the jurisdiction review)
    assert sorted(t["kind"] for t in tasks) == ["PROFESSIONAL_ORIENTATION", "RECEIPT_CONFIRMATION"]
    since = routing.now.isoformat()
    listed = await logged(routing, user_id="sofie", since=since)  # two tasks of one underretning: one row
    assert sorted((e["case_kind"], e["case_id"], e["purpose"]) for e in listed) == [
        ("underretning", underretning_id, "follow_up")]

    routing.advance(minutes=1)
    [task] = await get(routing, POLICE, "/api/v1/cases/tasks")
    assert task["kind"] == "JURISDICTION_REVIEW"
    [listed] = await logged(routing, user_id="peter")
    assert (listed["case_kind"], listed["case_id"], listed["purpose"]) == ("infohus_case", first, "disclosure")


async def test_an_empty_task_list_logs_nothing(routing: RoutingHarness) -> None:
    await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    assert await get(routing, STRAXEN, "/api/v1/cases/tasks") == []
    assert await rows(routing) == 0


@pytest.mark.parametrize("statement", [
    "UPDATE read_access_log SET purpose = 'case_handling'",
    "DELETE FROM read_access_log",
])
async def test_the_log_refuses_update_and_delete(routing: RoutingHarness, statement: str) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    routing.now = datetime.now(UTC)  # a read of today: the database keeps every row younger than six months
    await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}", purpose="follow_up")
    async with routing.container.unit_of_work() as uow:
        with pytest.raises(DBAPIError, match="read_access_log is append-only"):
            await uow.session.execute(text(statement))
    [entry] = await logged(routing, case_id=case_id)
    assert entry["purpose"] == "follow_up"


async def test_postgres_refuses_truncate_too(routing: RoutingHarness) -> None:
    if routing.container.runtime.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}")
    async with routing.container.unit_of_work() as uow:
        with pytest.raises(DBAPIError, match="append-only"):
            await uow.session.execute(text("TRUNCATE read_access_log"))
    assert await rows(routing) == 1


async def test_the_read_time_is_the_services_clock(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    later = routing.advance(days=2)
    await get(routing, MUNICIPAL, f"/api/v1/cases/{case_id}")
    assert await logged(routing, since=(later + timedelta(seconds=1)).isoformat()) == []
    [entry] = await logged(routing, since=later.isoformat())
    assert datetime.fromisoformat(entry["read_at"]) == later
