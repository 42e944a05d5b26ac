"""Item 4: deadline events fall due on an injectable clock and are emitted exactly once."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness
from tests.statements import recorded_statements
from tests.waiting import eventually

# Tuesday 3 March 2026, 10:00 CET: office open. A P2 adult case is due at closing of the 3rd office day
# after (Friday 6 March 13:00 CET); a minor's 24-hour assessment is due Wednesday 10:00.
RECEIVED = "2026-03-03T10:00:00+01:00"


async def kinds(routing: RoutingHarness) -> list[str]:
    return [e["kind"] for e in await routing.events("DeadlineReached")]


async def _emitted(routing: RoutingHarness, *, at_least: int) -> bool:
    return len(await kinds(routing)) >= at_least


async def test_triage_warning_at_75_percent_then_breach_each_once(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    due = datetime.fromisoformat("2026-03-06T13:00:00+01:00")
    warn = routing.now + (due - routing.now) * 0.75

    routing.now = warn
    routing.advance(seconds=-1)
    assert await routing.container.scan_deadlines_once() == 0
    routing.advance(seconds=1)
    assert await routing.container.scan_deadlines_once() == 1
    assert await routing.container.scan_deadlines_once() == 0
    assert await kinds(routing) == ["TRIAGE_75"]

    routing.now = due
    assert await routing.container.scan_deadlines_once() == 1
    routing.advance(days=3)
    assert await routing.container.scan_deadlines_once() == 0
    [warning, breach] = await routing.events("DeadlineReached")
    assert breach["kind"] == "TRIAGE_BREACHED"
    assert breach["priority"] == "P2"
    assert datetime.fromisoformat(breach["due_at"]) == due == datetime.fromisoformat(warning["due_at"])
    assert breach["out_of_hours"] is True  # Friday's office hours are [08:00, 13:00)
    assert warning["out_of_hours"] is True  # 75 % of 75 elapsed hours: Thursday 18:15, after closing
    assert warning["infohus_case_id"] == breach["infohus_case_id"]


async def test_assessment_at_risk_and_breach_and_receipt_breach(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(reporter="CITIZEN", subjects=[person(MINOR)]), RECEIVED)
    [underretning] = await routing.underretninger(concern_id)
    routing.now = datetime.fromisoformat("2026-03-04T04:00:00+01:00")  # 18 h = 75 % of 24 h, office closed
    await routing.container.scan_deadlines_once()
    at_risk = [e for e in await routing.events("DeadlineReached") if e["kind"] == "ASSESSMENT_AT_RISK"]
    assert len(at_risk) == 1 and at_risk[0]["underretning_id"] == underretning["underretning_id"]
    assert at_risk[0]["out_of_hours"] is True

    routing.now = datetime.fromisoformat("2026-03-04T10:00:00+01:00")
    await routing.container.scan_deadlines_once()
    assert "ASSESSMENT_BREACHED" in await kinds(routing)

    # § 138, stk. 1: 6 hverdage after Tuesday 3 March is Wednesday 11 March; breached from midnight.
    routing.now = datetime.fromisoformat("2026-03-11T23:59:00+01:00")
    await routing.container.scan_deadlines_once()
    assert "RECEIPT_BREACHED" not in await kinds(routing)
    routing.now = datetime.fromisoformat("2026-03-12T00:00:00+01:00")
    await routing.container.scan_deadlines_once()
    assert (await kinds(routing)).count("RECEIPT_BREACHED") == 1


async def test_at_risk_at_once_when_the_24_hours_end_before_the_office_opens(routing: RoutingHarness) -> None:
    friday = "2026-03-06T14:00:00+01:00"  # hotline only; the 24 hours end Saturday, the office opens Monday
    routing.now = datetime.fromisoformat(friday)
    await routing.submit(concern_body(subjects=[person(MINOR)]), friday)
    await routing.container.scan_deadlines_once()
    assert "ASSESSMENT_AT_RISK" in await kinds(routing)


async def test_concurrent_scans_emit_each_deadline_once(routing: RoutingHarness) -> None:
    for _ in range(3):
        await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    routing.now = datetime.fromisoformat("2026-03-20T12:00:00+01:00")  # everything is late
    results = await asyncio.gather(*(routing.container.scan_deadlines_once() for _ in range(3)),
                                   return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]
    emitted = [(e["deadline_id"], e["kind"]) for e in await routing.events("DeadlineReached")]
    assert len(emitted) == len(set(emitted))
    # per concern: triage 75 % + breach, assessment at risk + breach, receipt breach
    assert len(emitted) == 3 * 5
    assert await routing.container.scan_deadlines_once() == 0


async def test_assessment_recorded_late_reports_the_breach_even_if_no_scan_ran(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    [underretning] = await routing.underretninger(concern_id)
    routing.now = datetime.fromisoformat("2026-03-05T09:00:00+01:00")
    async with routing.client("sofie", "straxen") as client:
        response = await client.post(f"/api/v1/cases/underretninger/{underretning['underretning_id']}/assessment",
                                     json={"acute_measures_needed": False})
    assert response.status_code == 200, response.text
    assert response.json()["late"] is True
    assert response.json()["deadline_events"] == ["ASSESSMENT_BREACHED"]
    assert await kinds(routing) == ["ASSESSMENT_BREACHED"]
    await routing.container.scan_deadlines_once()  # the stopped clock owes nothing more
    assert "ASSESSMENT_AT_RISK" not in await kinds(routing)


async def test_assessment_in_time_stops_the_clock_without_events(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    [underretning] = await routing.underretninger(concern_id)
    routing.advance(hours=2)
    async with routing.client("sofie", "straxen") as client:
        response = await client.post(f"/api/v1/cases/underretninger/{underretning['underretning_id']}/assessment",
                                     json={"acute_measures_needed": True})
        assert response.json()["late"] is False
        again = await client.post(f"/api/v1/cases/underretninger/{underretning['underretning_id']}/assessment",
                                  json={"acute_measures_needed": True})
        assert again.status_code == 409
    routing.advance(days=2)
    await routing.container.scan_deadlines_once()
    assert not {"ASSESSMENT_AT_RISK", "ASSESSMENT_BREACHED"} & set(await kinds(routing))


async def test_the_background_scanner_emits_without_being_asked(routing: RoutingHarness) -> None:
    await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    routing.advance(days=2)
    routing.container.settings = routing.container.settings.model_copy(update={"deadline_scan_interval_s": 0.05})
    task = asyncio.create_task(routing.container.run_deadline_scanner())
    try:
        await eventually(lambda: _emitted(routing, at_least=4), within=10)
    finally:
        task.cancel()
    assert {"TRIAGE_75", "TRIAGE_BREACHED", "ASSESSMENT_AT_RISK", "ASSESSMENT_BREACHED"} <= set(await kinds(routing))


async def test_clocks_already_reported_do_not_hide_newly_due_ones(routing: RoutingHarness) -> None:
    for _ in range(2):
        await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    routing.now = datetime.fromisoformat("2026-03-20T12:00:00+01:00")
    await routing.container.scan_deadlines_once()  # everything breached and reported; the clocks still run
    fresh = await routing.submit(concern_body(subjects=[person(MINOR)]), routing.now)
    routing.advance(hours=19)  # its 24-hour assessment is now at risk
    async with routing.container.unit_of_work() as uow:
        [due] = await uow.clocks.running_due(routing.now, limit=1)
    assert due.concern_id == fresh


async def test_a_concern_with_nothing_due_does_not_look_up_emitted_deadlines(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    with recorded_statements(routing.container.runtime.engine, "SELECT deadline_events") as lookups:
        await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    assert lookups == []  # three new clocks, none due: nothing emitted can matter

    late = datetime.fromisoformat("2026-03-20T12:00:00+01:00")
    routing.now = late
    with recorded_statements(routing.container.runtime.engine, "SELECT deadline_events") as lookups:
        await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)  # a phone note typed in late
    assert lookups  # its clocks are due at once: what was emitted is asked
    assert len([e for e in await routing.events("DeadlineReached") if e["reached_at"]]) == 5


async def test_a_new_concern_writes_its_clocks_with_one_statement(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    with recorded_statements(routing.container.runtime.engine, "INSERT INTO clocks") as writes:
        concern_id = await routing.submit(concern_body(subjects=[person(MINOR)]), RECEIVED)
    async with routing.container.unit_of_work() as work:
        started = await work.clocks.for_concern(concern_id)
    assert len(writes) == 1 and len(started) == 3  # triage, 24-hour assessment, receipt
