"""I1 append-only in the database: UPDATE, DELETE and TRUNCATE refused, for the service role and (by the
triggers) for the owner too; INSERT OR REPLACE refused on SQLite; the chain position enforced; payload
erasure allowed after retention only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from infohus.kit.db import session_factory
from services.audit.adapters.orm import APPEND_ONLY_TABLES
from services.audit.service_layer.append import append_disclosure
from services.audit.service_layer.retention import purge_expired
from services.audit.service_layer.tree import issue_checkpoint
from services.audit.service_layer.verify import verify_log
from tests.audit.builders import an_event, expired, seed

APP_ROLE = "infohus_audit_app"
WHERE = {"disclosure_log": "seq_no = 1", "disclosure_payloads": "seq_no = 1", "disclosure_subjects": "seq_no = 1",
         "checkpoints": "tree_size = 2", "auditor_query_log": "1 = 1"}
SET = {"disclosure_log": "trace_id = 'x'", "disclosure_payloads": "purpose = 'CRIMINAL_REPORT'",
       "disclosure_subjects": "subject_key = 'x'", "checkpoints": "signature = 'x'", "auditor_query_log": "actor = 'x'"}


async def _filled(audit) -> None:
    """Two records, a checkpoint and a logged query: a row in every append-only table."""
    await seed(audit, 2)
    key = audit.settings.private_key()
    await issue_checkpoint(audit.tree, audit.unit_of_work, key, now=datetime.now(UTC))
    async with audit.unit_of_work() as uow:
        # Today: a query-log row older than six months may be deleted (retention)
        await uow.query_log.add(entry_id=uuid4(), at=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}Z", actor="revisor",
                                query="Q3", parameters={}, result_rows=0, output_format="json", trace_id=None)
        await uow.commit()


async def _refused(audit, statement: str, *, role: str | None = None) -> str:
    async with audit.runtime.engine.connect() as connection:
        if role:
            await connection.execute(text(f"SET LOCAL ROLE {role}"))
        with pytest.raises(DBAPIError) as raised:
            await connection.execute(text(statement))
        await connection.rollback()
    return str(raised.value.orig)


async def _row_counts(audit) -> dict[str, int]:
    async with audit.runtime.engine.connect() as connection:
        return {t: (await connection.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                for t in APPEND_ONLY_TABLES}


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
async def test_update_and_delete_are_refused_on_every_table(audit, table: str) -> None:
    await _filled(audit)
    before = await _row_counts(audit)
    assert "append-only" in await _refused(audit, f"UPDATE {table} SET {SET[table]} WHERE {WHERE[table]}")
    assert "append-only" in await _refused(audit, f"DELETE FROM {table} WHERE {WHERE[table]}")
    assert "append-only" in await _refused(audit, f"DELETE FROM {table}")  # SQLite's truncate
    if audit.runtime.engine.dialect.name == "postgresql":
        assert "append-only" in await _refused(audit, f"TRUNCATE {table} CASCADE")
    assert await _row_counts(audit) == before


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
async def test_the_service_role_may_not_update_delete_or_truncate(audit_postgres, table: str) -> None:
    """Roles are PostgreSQL's; on SQLite the triggers refuse everyone (test above)."""
    audit = audit_postgres
    await _filled(audit)
    for statement in (f"UPDATE {table} SET {SET[table]} WHERE {WHERE[table]}",
                      f"DELETE FROM {table} WHERE {WHERE[table]}", f"TRUNCATE {table}"):
        assert "permission denied" in await _refused(audit, statement, role=APP_ROLE)


async def test_the_service_role_can_do_all_the_service_does(audit_postgres) -> None:
    """Append, read, sign, query and purge, connected as infohus_audit_app (INSERT and SELECT only)."""
    audit = audit_postgres
    settings = audit.settings
    engine = create_async_engine(settings.database_url, connect_args={"server_settings": {
        "search_path": settings.db_schema, "role": APP_ROLE}})
    audit.runtime.sessions = session_factory(engine)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT current_user"))).scalar_one() == APP_ROLE
        await seed(audit, 2)
        await append_disclosure(an_event(**expired(record_id=UUID(int=9))),
                                uow=audit.unit_of_work(), now=datetime.now(UTC))
        await issue_checkpoint(audit.tree, audit.unit_of_work, settings.private_key(), now=datetime.now(UTC))
        assert await purge_expired(audit.unit_of_work, today=date.today()) == 1
        report = await verify_log(audit.unit_of_work, public_key=settings.public_key(), today=date.today())
        assert report.ok and report.checked == 3 and report.erased == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("statement", [
    "INSERT OR REPLACE INTO disclosure_log (seq_no, record_id, prev_hash, record_hash, recorded_at, "
    "retention_until) SELECT seq_no, 'other', prev_hash, 'x', recorded_at, retention_until FROM disclosure_log "
    "WHERE seq_no = 2",
    "INSERT OR REPLACE INTO disclosure_log (seq_no, record_id, prev_hash, record_hash, recorded_at, "
    "retention_until) SELECT 3, record_id, (SELECT record_hash FROM disclosure_log WHERE seq_no = 2), 'y', "
    "recorded_at, retention_until FROM disclosure_log WHERE seq_no = 1",
    "REPLACE INTO disclosure_payloads SELECT * FROM disclosure_payloads WHERE seq_no = 2",
    "INSERT OR REPLACE INTO disclosure_subjects VALUES (2, 'person-2')",
    "INSERT INTO disclosure_subjects VALUES (2, 'person-2') ON CONFLICT DO UPDATE SET subject_key = 'z'",
    "INSERT OR REPLACE INTO checkpoints SELECT * FROM checkpoints",
])
async def test_sqlite_refuses_insert_or_replace_and_upserts(audit_sqlite, statement: str) -> None:
    """SQLite's REPLACE deletes the conflicting row without firing delete triggers."""
    audit = audit_sqlite
    await _filled(audit)
    before = await _row_counts(audit)
    message = await _refused(audit, statement)
    assert "append-only: INSERT OR REPLACE refused" in message or "continue the chain" in message
    assert await _row_counts(audit) == before


@pytest.mark.parametrize(("seq_no", "prev"), [(4, "head"), (3, "genesis"), (2, "head")])
async def test_a_row_that_does_not_continue_the_chain_is_refused(audit, seq_no: int, prev: str) -> None:
    await seed(audit, 2)
    async with audit.runtime.engine.connect() as connection:
        head = (await connection.execute(text("SELECT record_hash FROM disclosure_log WHERE seq_no = 2"))).scalar_one()
    prev_hash = head if prev == "head" else "0" * 64
    message = await _refused(audit, (
        "INSERT INTO disclosure_log (seq_no, record_id, prev_hash, record_hash, recorded_at, retention_until) "
        f"VALUES ({seq_no}, 'r-new', '{prev_hash}', '{'e' * 64}', '2026-11-22 10:00:00', '2031-01-01')"))
    assert "continue the chain" in message or "append-only" in message or "UNIQUE" in message.upper()


async def test_payload_rows_are_only_added_for_the_newest_record(audit) -> None:
    await seed(audit, 2)
    message = await _refused(audit, "INSERT INTO disclosure_subjects VALUES (1, 'person-extra')")
    assert "newest record" in message


async def test_payloads_can_be_erased_after_retention_only(audit) -> None:
    await seed(audit, 1)
    await append_disclosure(an_event(**expired(record_id=UUID(int=2))),
                            uow=audit.unit_of_work(), now=datetime.now(UTC))
    assert "append-only" in await _refused(audit, "DELETE FROM disclosure_payloads WHERE seq_no = 1")
    assert await purge_expired(audit.unit_of_work, today=date.today()) == 1
    async with audit.runtime.engine.connect() as connection:
        payloads = (await connection.execute(text("SELECT seq_no FROM disclosure_payloads"))).scalars().all()
        subjects = (await connection.execute(text("SELECT seq_no FROM disclosure_subjects"))).scalars().all()
        log_rows = (await connection.execute(text("SELECT count(*) FROM disclosure_log"))).scalar_one()
    assert payloads == [1] and set(subjects) == {1} and log_rows == 2
