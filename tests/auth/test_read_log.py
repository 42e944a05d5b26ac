"""The read-access log on SQLite and PostgreSQL: written in the caller's transaction, queried by case,
user and time, append-only at the database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from sqlalchemy import MetaData, delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from devtools.auth_testing import FakeIdentityProvider
from infohus.kit.auth import (
    ANONYMOUS,
    CaseKind,
    Principal,
    ReadAccessLogger,
    ReadPurpose,
    Role,
    append_only_ddl,
    assert_every_route_has_a_rule,
    install_auth,
    read_access_log_table,
    read_log_router,
)
from infohus.kit.db import create_engine, session_factory

POSTGRES_URL = os.environ.get("INFOHUS_TEST_POSTGRES_URL",
                              "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

TOVHOLDER = Principal(user_id="kommune-17", roles=frozenset({Role.TOVHOLDER_MUNICIPAL}), display_name="K")
STRAXEN = Principal(user_id="straxen-3", roles=frozenset({Role.STRAXEN}), display_name="S")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path}/reads.db")
        yield eng
        await eng.dispose()
        return
    schema = f"t{uuid.uuid4().hex[:12]}_readlog"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(POSTGRES_URL, schema)
    try:
        yield eng
    finally:
        await eng.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def logged(engine: AsyncEngine) -> tuple[AsyncEngine, ReadAccessLogger, Clock]:
    metadata = MetaData()
    table = read_access_log_table(metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    clock = Clock()
    return engine, ReadAccessLogger(table, service="routing", clock=clock), clock


async def test_reads_are_recorded_and_queried(logged: tuple[AsyncEngine, ReadAccessLogger, Clock]) -> None:
    engine, log, clock = logged
    sessions = session_factory(engine)
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    async with sessions() as session, session.begin():
        first = await log.record(session, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_id=case_a,
                                 purpose=ReadPurpose.TRIAGE, fields=["narrative", "subjects"])
    clock.now = T0 + timedelta(minutes=5)
    async with sessions() as session, session.begin():
        await log.record(session, STRAXEN, case_kind=CaseKind.UNDERRETNING, case_id=case_b,
                         purpose=ReadPurpose.UNDERRETNING_ASSESSMENT)
        await log.record_many(session, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_ids=[case_a, case_b],
                              purpose=ReadPurpose.CASE_HANDLING)

    async with sessions() as session:
        for_a = await log.query(session, case_id=case_a)
        assert [e.purpose for e in for_a] == [ReadPurpose.TRIAGE, ReadPurpose.CASE_HANDLING]
        assert for_a[0] == first
        assert for_a[0].read_at == T0 and for_a[0].read_at.tzinfo is not None
        assert for_a[0].roles == (Role.TOVHOLDER_MUNICIPAL,)
        assert for_a[0].fields == ("narrative", "subjects")
        assert for_a[0].service == "routing" and for_a[0].case_kind is CaseKind.INFOHUS_CASE
        assert [e.case_id for e in await log.query(session, user_id="straxen-3")] == [str(case_b)]
        assert len(await log.query(session, since=T0 + timedelta(minutes=1))) == 3
        assert len(await log.query(session, until=T0 + timedelta(minutes=1))) == 1
        assert len(await log.query(session, limit=2)) == 2


async def test_the_entry_belongs_to_the_callers_transaction(
        logged: tuple[AsyncEngine, ReadAccessLogger, Clock]) -> None:
    engine, log, _ = logged
    sessions = session_factory(engine)
    async with sessions() as session:
        await session.begin()
        await log.record(session, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_id="c-1",
                         purpose=ReadPurpose.CASE_HANDLING)
        await session.rollback()
    async with engine.begin() as connection:  # a connection works as well as a session
        await log.record(connection, STRAXEN, case_kind=CaseKind.UNDERRETNING, case_id="u-1",
                         purpose=ReadPurpose.FOLLOW_UP)
    async with sessions() as session:
        assert [e.case_id for e in await log.query(session)] == ["u-1"]


async def test_the_log_is_append_only(logged: tuple[AsyncEngine, ReadAccessLogger, Clock]) -> None:
    engine, log, _ = logged
    async with engine.begin() as connection:
        await log.record(connection, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_id="c-1",
                         purpose=ReadPurpose.CASE_HANDLING)
    t = log.table
    for statement in (update(t).values(user_id="someone-else"), delete(t)):
        with pytest.raises((DBAPIError, IntegrityError)) as raised:
            async with engine.begin() as connection:
                await connection.execute(statement)
        assert "append-only" in str(raised.value)
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            async with engine.begin() as connection:
                await connection.execute(text("TRUNCATE read_access_log"))
    async with engine.connect() as connection:
        rows = (await connection.execute(select(t.c.user_id))).scalars().all()
    assert rows == ["kommune-17"]


async def test_trace_id_is_taken_from_the_current_span(
        logged: tuple[AsyncEngine, ReadAccessLogger, Clock]) -> None:
    engine, log, _ = logged
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("GET /api/v1/cases/c-1") as span:
        async with engine.begin() as connection:
            entry = await log.record(connection, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_id="c-1",
                                     purpose=ReadPurpose.CASE_HANDLING)
    context = span.get_span_context()
    assert context.is_valid, "tests/conftest.py installs an SDK tracer provider"
    assert entry.trace_id == format(context.trace_id, "032x")
    async with engine.begin() as connection:  # outside a span there is no trace id
        outside = await log.record(connection, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_id="c-2",
                                   purpose=ReadPurpose.CASE_HANDLING)
    assert outside.trace_id is None


async def test_anonymous_reads_are_refused(logged: tuple[AsyncEngine, ReadAccessLogger, Clock]) -> None:
    engine, log, _ = logged
    async with engine.begin() as connection:
        with pytest.raises(PermissionError):
            await log.record(connection, ANONYMOUS, case_kind=CaseKind.INFOHUS_CASE, case_id="c-1",
                             purpose=ReadPurpose.CASE_HANDLING)


def test_append_only_ddl_for_migrations() -> None:
    assert len(append_only_ddl("sqlite")) == 2
    postgres = append_only_ddl("postgresql", schema="routing")
    assert any("BEFORE TRUNCATE ON routing.read_access_log" in s for s in postgres)
    with pytest.raises(ValueError):
        append_only_ddl("postgresql", table="x; DROP TABLE y")
    with pytest.raises(ValueError):
        append_only_ddl("mysql")


async def test_auditors_read_the_log_over_http(logged: tuple[AsyncEngine, ReadAccessLogger, Clock]) -> None:
    engine, log, clock = logged
    async with engine.begin() as connection:
        await log.record(connection, TOVHOLDER, case_kind=CaseKind.INFOHUS_CASE, case_id="c-1",
                         purpose=ReadPurpose.TRIAGE)
        clock.now = T0 + timedelta(hours=1)
        await log.record(connection, STRAXEN, case_kind=CaseKind.UNDERRETNING, case_id="u-1",
                         purpose=ReadPurpose.UNDERRETNING_ASSESSMENT)
    idp = FakeIdentityProvider()
    app = FastAPI()
    install_auth(app, idp.settings(), jwks_fetcher=idp.fetch)
    app.include_router(read_log_router(log, session_factory(engine)))
    assert_every_route_has_a_rule(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as client:
        url = "/api/v1/read-access-log"
        everything = await client.get(url, headers=idp.headers_for(Role.AUDITOR))
        assert everything.status_code == 200
        assert [(e["user_id"], e["case_id"], e["purpose"]) for e in everything.json()] == [
            ("kommune-17", "c-1", "triage"), ("straxen-3", "u-1", "underretning_assessment")]
        later = await client.get(url, params={"since": "2026-11-23T09:30:00+00:00"},
                                 headers=idp.headers_for(Role.AUDITOR))
        assert [e["case_id"] for e in later.json()] == ["u-1"]
        naive = await client.get(url, params={"since": "2026-11-23T09:30:00"},
                                 headers=idp.headers_for(Role.AUDITOR))
        assert naive.status_code == 422
        for role in (Role.ADMINISTRATOR, Role.TOVHOLDER_MUNICIPAL, Role.STRAXEN, Role.INTAKE):
            assert (await client.get(url, headers=idp.headers_for(role))).status_code == 403
        assert (await client.get(url)).status_code == 401
