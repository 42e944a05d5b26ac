"""Retention of the disclosure log under legal holds, on SQLite and PostgreSQL: a concern routing holds
keeps its records' content past ``retention_until`` (the others' content goes, their chain rows stay and
verify passes); lifting the hold lets it go. The erasure never takes a payload before its minimum, even
when a caller lists it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from contracts.events import ConcernRetentionChanged, RetentionChange
from infohus.kit.retention.tables import apply_retention_change
from services.audit.adapters.orm import concern_retention, disclosure_payloads
from services.audit.adapters.retention import erase_payloads
from services.audit.bootstrap import AuditContainer
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.verify import verify_log
from tests.audit.builders import an_event, expired, seed, seed_unchecked
from tests.audit.domain.builders import OCCURRED_AT

HELD, FREE = UUID(int=100), UUID(int=101)


async def _expired_of(audit: AuditContainer, record_id: int, concern_id: UUID) -> None:
    from services.audit.service_layer.append import append_disclosure

    await append_disclosure(an_event(**expired(record_id=UUID(int=record_id), concern_id=concern_id,
                                               subject_person_ids=[f"person-{record_id}"])),
                            uow=audit.unit_of_work(), now=datetime.now(UTC))


async def _routing_says(audit: AuditContainer, concern_id: UUID, change: RetentionChange) -> None:
    async with audit.unit_of_work() as uow:
        await apply_retention_change(uow.session, concern_retention, ConcernRetentionChanged(
            concern_id=concern_id, change=change, at=datetime.now(UTC)))
        await uow.commit()


async def _payload_concerns(audit: AuditContainer) -> list[str | None]:
    async with audit.unit_of_work() as uow:
        return list((await uow.session.execute(select(disclosure_payloads.c.concern_id)
                                               .order_by(disclosure_payloads.c.seq_no))).scalars())


async def test_a_held_concern_keeps_its_records_content_until_the_hold_is_lifted(audit: AuditContainer) -> None:
    await seed(audit, 1)
    await _expired_of(audit, 2, HELD)
    await _expired_of(audit, 3, FREE)
    await _routing_says(audit, HELD, RetentionChange.HELD)

    planned = await audit.retention.plan()
    assert planned.items["disclosure_payloads"] == ["3"]
    assert (await audit.retention.run()).items == planned.items
    assert await _payload_concerns(audit) == [str(UUID(int=100)), str(HELD)]
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today())
    assert report.ok and report.erased == 1 and report.checked == 3

    await _routing_says(audit, HELD, RetentionChange.HOLD_LIFTED)
    assert await purge_expired(audit.unit_of_work, today=date.today()) == 1  # `infohus audit purge` too
    assert await _payload_concerns(audit) == [str(UUID(int=100))]
    report = await verify_log(audit.unit_of_work, public_key=None, today=date.today())
    assert report.ok and report.erased == 2


async def test_no_payload_goes_before_its_minimum_even_when_listed(audit: AuditContainer) -> None:
    await seed(audit, 1)  # a disclosure of 2026, kept until 2031
    # A record accepted before the 5-year minimum was checked: retention_until passed, three months after the
    # disclosure.
    await seed_unchecked(audit, 2, retention_until=date(2026, 6, 2), occurred_at=OCCURRED_AT)
    await _expired_of(audit, 3, FREE)  # of 2019, kept until 2020: past both
    assert (await audit.retention.plan()).items["disclosure_payloads"] == ["3"]
    async with audit.unit_of_work() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":  # its function checks both dates itself
            assert await erase_payloads(uow.session, [1, 2, 3]) == 1
        await uow.commit()


async def test_the_auditors_query_log_goes_after_six_months_and_not_before(audit: AuditContainer) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from contracts.envelope import new_uuid7
    from services.audit.domain.values import format_utc

    now = datetime.now(UTC)
    async with audit.unit_of_work() as uow:
        for days in (190, 170):
            await uow.query_log.add(entry_id=new_uuid7(), at=format_utc(now - timedelta(days=days)), actor="revisor-1",
                                    query="Q3", parameters={}, result_rows=0, output_format="json", trace_id=None)
        await uow.commit()
    planned = await audit.retention.plan()
    assert len(planned.items["auditor_query_log"]) == 1
    assert (await audit.retention.run()).items == planned.items
    async with audit.unit_of_work() as uow:
        [left] = await uow.query_log.entries()
    assert left["at"] == format_utc(now - timedelta(days=170))
    async with audit.runtime.engine.connect() as connection:
        try:
            await connection.execute(text("DELETE FROM auditor_query_log"))
        except DBAPIError as refused:
            assert "append-only" in str(refused)
        else:
            raise AssertionError("a query-log row younger than six months was deleted")


async def test_the_service_role_runs_retention_without_delete_on_any_log(audit_postgres: AuditContainer) -> None:
    """As infohus_audit_app (SELECT and INSERT on the logs): payloads, both access logs and the outbox."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from contracts.envelope import new_uuid7
    from infohus.kit.auth import CaseKind, Principal, ReadAccessLogger, ReadPurpose, Role
    from infohus.kit.db import session_factory
    from services.audit.adapters.orm import read_access_log
    from services.audit.domain.values import format_utc

    audit = audit_postgres
    old = datetime.now(UTC) - timedelta(days=200)
    await _expired_of(audit, 1, FREE)
    async with audit.unit_of_work() as uow:
        await ReadAccessLogger(read_access_log, service="audit", clock=lambda: old).record(
            uow.session, Principal(user_id="revisor-1", roles=frozenset({Role.AUDITOR}), display_name="R"),
            case_kind=CaseKind.CONCERN, case_id=str(FREE), purpose=ReadPurpose.AUDIT)
        await uow.query_log.add(entry_id=new_uuid7(), at=format_utc(old), actor="revisor-1", query="Q1",
                                parameters={}, result_rows=1, output_format="json", trace_id=None)
        await uow.commit()
    settings = audit.settings
    engine = create_async_engine(settings.database_url, connect_args={"server_settings": {
        "search_path": str(settings.db_schema), "role": "infohus_audit_app"}})
    own_sessions, audit.runtime.sessions = audit.runtime.sessions, session_factory(engine)
    try:
        done = await audit.retention.run()
    finally:
        audit.runtime.sessions = own_sessions
        await engine.dispose()
    assert done.counts() == {"disclosure_payloads": 1, "read_access_log": 1, "auditor_query_log": 1, "outbox": 0}
    assert await _payload_concerns(audit) == []
