"""Retention through the running system, on SQLite and PostgreSQL (docs/legal.md §A3): three concerns are
received in 2015 and their cases closed ten days later; one case is put under a legal hold, and the person
of another one. Five years and more on, each service's dry run lists exactly what its run then deletes:
routing, intake, notify and audit delete everything of the free concern (the disclosure records' content,
their chain rows staying, so verify still passes), nothing of the held ones; read-access-log rows go after
six months except those about a held concern. The deletion log names categories, counts and ids only.
Lifting the hold lets the held concern go at the next runs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger, ReadPurpose, Role
from infohus.kit.retention.plan import RetentionPlan
from services.audit.adapters.orm import disclosure_log, disclosure_payloads
from services.audit.adapters.orm import read_access_log as audit_reads
from services.audit.service_layer.verify import verify_log
from services.intake.adapters.orm import concern_routing, concerns
from services.intake.adapters.orm import read_access_log as intake_reads
from services.notify.adapters.orm import deliveries
from services.routing.adapters.orm import concern_facts, infohus_cases, underretninger
from services.routing.adapters.orm import read_access_log as routing_reads
from tests.retention.conftest import RECEIVED, RetentionSystem
from tests.waiting import eventually

pytestmark = pytest.mark.slow

CLOSED = RECEIVED + timedelta(days=10)
YEARS_ON = datetime(2020, 6, 1, 12, 0, tzinfo=UTC)  # the closes plus five years, and more
PERSONAL = ("Anna Jensen", "anna.jensen@example.org", "Mads Nielsen", "Sara Holm", "Ali Hansen", "1503104321",
            "2208091234", "0101011234", "taler om vold", "ekstreme", "våben")
AUDITOR = Principal(user_id="revisor-1", roles=frozenset({Role.AUDITOR}), display_name="Revisor")


def subject(name: str, cpr: str) -> list[dict[str, Any]]:
    return [{"name": name, "cpr": cpr, "stated_age": 16, "municipality": "Ishøj"}]


async def open_three(rs: RetentionSystem) -> dict[str, str]:
    """Concerns free, case_held and person_held, received at RECEIVED; routed, mailed and logged."""
    free = await rs.submit(subjects=subject("Mads Nielsen", "1503104321"),
                           description="Min nabos søn taler om vold mod anderledes tænkende.")
    case_held = await rs.submit(subjects=subject("Sara Holm", "2208091234"),
                                description="Eleven deler ekstreme budskaber i klassen hver dag.")
    person_held = await rs.submit(subjects=subject("Ali Hansen", "0101011234"),
                                  description="Han har skaffet sig adgang til våben, siger hans bror.")
    ids = {"free": free[0], "case_held": case_held[0], "person_held": person_held[0]}
    await rs.system.notify.runtime.broker_connected.wait()
    await eventually(lambda: _count(rs.system.notify, deliveries, deliveries.c.state == "SENT", expected=6),
                     within=60)
    await eventually(lambda: _count(rs.system.audit, disclosure_payloads, expected=6), within=60)
    return ids


async def _count(container: Any, table: Any, *where: Any, expected: int | None = None) -> int | bool:
    async with container.unit_of_work() as uow:
        found = int((await uow.session.execute(select(func.count()).select_from(table).where(*where))).scalar_one())
    return found == expected if expected is not None else found


async def case_of(rs: RetentionSystem, concern_id: str) -> str:
    async with rs.system.routing.unit_of_work() as uow:
        return str((await uow.session.execute(select(infohus_cases.c.case_id)
                                              .where(infohus_cases.c.concern_id == concern_id))).scalar_one())


async def read_everything(rs: RetentionSystem, ids: dict[str, str]) -> None:
    """A tovholder reads each case and concern, and an auditor each concern's records, at RECEIVED."""
    async with rs.client("routing", Role.TOVHOLDER_MUNICIPAL) as routing, \
            rs.client("intake", Role.TOVHOLDER_MUNICIPAL) as intake:
        for concern_id in ids.values():
            assert (await routing.get(f"/api/v1/cases/{await case_of(rs, concern_id)}")).status_code == 200
            assert (await intake.get(f"/api/v1/concerns/{concern_id}")).status_code == 200
    logger = ReadAccessLogger(audit_reads, service="audit", clock=lambda: RECEIVED)
    async with rs.system.audit.unit_of_work() as uow:
        for concern_id in ids.values():
            await logger.record(uow.session, AUDITOR, case_kind=CaseKind.CONCERN, case_id=concern_id,
                                purpose=ReadPurpose.AUDIT)
        await uow.commit()


async def close_all(rs: RetentionSystem, ids: dict[str, str]) -> None:
    rs.clocks.now = CLOSED
    async with rs.client("routing", Role.TOVHOLDER_MUNICIPAL) as routing:
        for concern_id in ids.values():
            response = await routing.post(f"/api/v1/cases/{await case_of(rs, concern_id)}/actions",
                                          json={"action": "CLOSE", "reason": "MOVED"})
            assert response.status_code == 200, response.text


async def set_holds(rs: RetentionSystem, ids: dict[str, str]) -> str:
    """A hold on the case of case_held, and one on the person of person_held (by CPR number)."""
    async with rs.client("routing", Role.ADMINISTRATOR, "admin-1") as admin:
        by_case = await admin.post("/api/v1/legal-holds", json={
            "scope": "CASE", "target": await case_of(rs, ids["case_held"]), "reason": "Klage til Ankestyrelsen"})
        assert by_case.status_code == 201, by_case.text
        by_person = await admin.post("/api/v1/legal-holds", json={
            "scope": "PERSON", "target": "010101-1234", "reason": "Indsigtsanmodning under behandling"})
        assert by_person.status_code == 201, by_person.text
        listed = (await admin.get("/api/v1/legal-holds")).json()
    assert {(h["scope"], h["concerns_covered"], h["in_force"], h["set_by"]) for h in listed} == {
        ("CASE", 1, True, "admin-1"), ("PERSON", 1, True, "admin-1")}
    assert "0101011234" not in str(listed) and "010101-1234" not in str(listed)
    return str(by_case.json()["hold_id"])


async def dry_run_then_run(runner: Any, now: datetime | None = None) -> RetentionPlan:
    planned = await runner.plan(now)
    done = await runner.run(now)
    assert done.items == planned.items, "the run deleted other rows than its dry run listed"
    return done


async def rows_of(container: Any, table: Any, column: Any) -> set[str]:
    async with container.unit_of_work() as uow:
        return {str(v) for v in (await uow.session.execute(select(column))).scalars()}


async def test_each_service_deletes_what_its_period_allows_and_keeps_what_is_held(
        retention_system: RetentionSystem, caplog: pytest.LogCaptureFixture) -> None:
    rs = retention_system
    system = rs.system
    ids = await open_three(rs)
    free, kept = ids["free"], {ids["case_held"], ids["person_held"]}
    await read_everything(rs, ids)
    await close_all(rs, ids)
    case_hold = await set_holds(rs, ids)
    await rs.consumed()
    caplog.set_level(logging.INFO)

    # routing: the free concern with its case and underretning; its read-log rows, not the held ones'
    rs.clocks.now = YEARS_ON
    cases_before = await rows_of(system.routing, infohus_cases, infohus_cases.c.case_id)
    reads_before = await _reads(system.routing, routing_reads)
    plan = await dry_run_then_run(system.routing.retention)
    free_case = (cases_before - {await case_of(rs, c) for c in kept}).pop()
    assert plan.items["concerns"] == [free]
    assert plan.items["cases"] == [free_case]
    assert len(plan.items["underretninger"]) == 1
    assert sorted(plan.items["read_access_log"]) == sorted(reads_before[free_case])
    assert await rows_of(system.routing, concern_facts, concern_facts.c.concern_id) == kept
    assert await rows_of(system.routing, underretninger, underretninger.c.concern_id) == kept
    assert set(await _reads(system.routing, routing_reads)) == set(reads_before) - {free_case}

    # intake, once routing's word arrived: the free concern (story, persons, CPR numbers, reporter)
    await rs.consumed()
    intake_reads_before = await _reads(system.intake, intake_reads)
    plan = await dry_run_then_run(system.intake.retention)
    assert plan.items["concerns"] == [free]
    assert sorted(plan.items["read_access_log"]) == sorted(intake_reads_before[free])
    assert await rows_of(system.intake, concerns, concerns.c.concern_id) == kept
    assert free not in await rows_of(system.intake, concern_routing, concern_routing.c.concern_id)

    # notify: the free concern's sent deliveries, a month after they were sent; the held ones stay
    mails = await _deliveries(system.notify)
    plan = await dry_run_then_run(system.notify.retention, datetime.now(UTC) + timedelta(days=31))
    assert sorted(plan.items["deliveries"]) == sorted(mails[free])
    assert await rows_of(system.notify, deliveries, deliveries.c.concern_id) == kept

    # audit: the free concern's records lose their content (retention_until 2020 and five years passed), the
    # chain stays and verifies; read-log rows of 2015 go, except the held concerns'
    log_rows = await _count(system.audit, disclosure_log)
    plan = await dry_run_then_run(system.audit.retention)
    assert len(plan.items["disclosure_payloads"]) == 2 and len(plan.items["read_access_log"]) == 1
    assert await rows_of(system.audit, disclosure_payloads, disclosure_payloads.c.concern_id) == kept
    assert set(await _reads(system.audit, audit_reads)) == kept
    assert await _count(system.audit, disclosure_log) == log_rows
    report = await verify_log(system.audit.unit_of_work, public_key=None, today=datetime.now(UTC).date())
    assert report.ok and report.erased == 2 and report.checked == 6

    deletion_log = "\n".join(r.getMessage() for r in caplog.records if r.name == "infohus.retention")
    assert "retention (routing): deleted concerns=1, cases=1, underretninger=1, read_access_log=1" in deletion_log
    assert free in deletion_log
    for personal in PERSONAL:
        assert personal not in caplog.text

    # lifting the case's hold: its concern goes at the next runs, the person's stays held
    async with rs.client("routing", Role.ADMINISTRATOR, "admin-1") as admin:
        lifted = await admin.post(f"/api/v1/legal-holds/{case_hold}/lift", json={"reason": "Klagen er afgjort"})
        assert lifted.status_code == 200 and lifted.json()["lifted_by"] == "admin-1"
        again = await admin.post(f"/api/v1/legal-holds/{case_hold}/lift", json={"reason": "Klagen er afgjort"})
        assert again.status_code == 409
    assert (await system.routing.retention.run()).items["concerns"] == [ids["case_held"]]
    await rs.consumed()
    assert (await system.intake.retention.run()).items["concerns"] == [ids["case_held"]]
    assert await rows_of(system.intake, concerns, concerns.c.concern_id) == {ids["person_held"]}
    assert await rows_of(system.routing, concern_facts, concern_facts.c.concern_id) == {ids["person_held"]}


async def _deliveries(container: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with container.unit_of_work() as uow:
        rows = await uow.session.execute(select(deliveries.c.notification_id, deliveries.c.concern_id)
                                         .where(deliveries.c.state == "SENT"))
        for notification_id, concern_id in rows:
            found.setdefault(str(concern_id), []).append(str(notification_id))
    return found


async def _reads(container: Any, table: Any) -> dict[str, list[str]]:
    """The read-access log's row ids by case id."""
    found: dict[str, list[str]] = {}
    async with container.unit_of_work() as uow:
        for row_id, case_id in await uow.session.execute(select(table.c.id, table.c.case_id)):
            found.setdefault(str(case_id), []).append(str(row_id))
    return found
