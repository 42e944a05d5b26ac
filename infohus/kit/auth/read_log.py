"""The read-access log: every read of personal data in a case, with who, when, which case and why.

Append-only: the logger only inserts, and the table refuses UPDATE, DELETE (and on PostgreSQL
TRUNCATE) with triggers, created with the table by ``metadata.create_all`` and available to Alembic
migrations through :func:`append_only_ddl`. Each service keeps the table in its own schema; auditors
read it (``Permission.READ_LOG_READ``) through :func:`read_log_router` or, later, the audit service.

The entry is written in the caller's session, in the same transaction as the read: commit it before the
data leaves the service (no read without its log row)::

    async with container.unit_of_work() as uow:
        case = await uow.cases.get(case_id)
        await read_log.record(uow.session, principal, case_kind=CaseKind.INFOHUS_CASE,
                              case_id=case_id, purpose=ReadPurpose.CASE_HANDLING)
        await uow.commit()
    return case
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import uuid_utils
from fastapi import APIRouter, Query
from opentelemetry import trace
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import DDL, Column, Index, MetaData, String, Table, Text, event, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from infohus.kit.auth.principal import Principal
from infohus.kit.auth.require import require
from infohus.kit.auth.roles import CaseKind, Permission, Role
from infohus.kit.db import UtcDateTime

TABLE_NAME = "read_access_log"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class ReadPurpose(StrEnum):
    """Why a case's personal data was read. Ask for a new value here rather than using free text."""

    CASE_HANDLING = "case_handling"
    """Sagsbehandling: working the case (reading, moving it through its states)."""
    TRIAGE = "triage"
    """Visitation by the municipal or police tovholder."""
    UNDERRETNING_ASSESSMENT = "underretning_assessment"
    """StraXen's assessment of an underretning (barnets lov)."""
    DISCLOSURE = "disclosure"
    """Preparing a disclosure to another authority (e.g. retsplejelovens § 115)."""
    FOLLOW_UP = "follow_up"
    """Following up on an open case or a statutory deadline."""
    SEARCH = "search"
    """A search listing the cases (concerns) that match; the criterion's kind is logged, never its value."""
    AUDIT = "audit"
    """An auditor checking that disclosures about a concern were lawful (the disclosure log)."""
    RULES_REPLAY = "rules_replay"
    """Replaying a stored routing decision (``infohus explain --decision``) from a shell in a routing pod."""
    SUBJECT_ACCESS = "subject_access"
    """An administrator's export for a data subject's access request (GDPR art. 15); the fields name the
    request (``request:<id>``), whose reason audit keeps."""


class ReadAccess(BaseModel):
    """One read of a case's personal data."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    read_at: AwareDatetime
    service: str
    user_id: str
    roles: tuple[Role, ...]
    case_kind: CaseKind
    case_id: str
    purpose: ReadPurpose
    fields: tuple[str, ...] = ()
    """Which parts were read (e.g. ``narrative``, ``subjects``); empty: the case as a whole."""
    trace_id: str | None = None


def read_access_log_table(metadata: MetaData, name: str = TABLE_NAME) -> Table:
    """The read-access log on the service's metadata, with append-only triggers for ``create_all``."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain table name: {name!r}")
    table = Table(
        name, metadata,
        Column("id", String(36), primary_key=True),
        Column("read_at", UtcDateTime, nullable=False),
        Column("service", String(50), nullable=False),
        Column("user_id", String(255), nullable=False),
        Column("roles", String(255), nullable=False),
        Column("case_kind", String(30), nullable=False),
        Column("case_id", String(100), nullable=False),
        Column("purpose", String(50), nullable=False),
        Column("fields", Text, nullable=False),
        Column("trace_id", String(32), nullable=True),
        Index(f"ix_{name}_case", "case_id", "read_at"),
        Index(f"ix_{name}_user", "user_id", "read_at"),
        Index(f"ix_{name}_read_at", "read_at"),
    )
    for dialect in ("postgresql", "sqlite"):
        for statement in append_only_ddl(dialect, name, metadata.schema):
            ddl = DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
            event.listen(table, "after_create", ddl)
    return table


def append_only_ddl(dialect: str, table: str = TABLE_NAME, schema: str | None = None) -> list[str]:
    """Statements that make ``table`` refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL); for an
    Alembic migration: ``for s in append_only_ddl(op.get_bind().dialect.name): op.execute(s)``."""
    for identifier in (table, schema or "public"):
        if not _IDENTIFIER.match(identifier):
            raise ValueError(f"not a plain identifier: {identifier!r}")
    message = f"{table} is append-only"
    if dialect == "sqlite":
        return [f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for op in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        prefix = f"{schema}." if schema else ""
        function = f"{prefix}{table}_refuse_change"
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$ "
            f"BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege'; END $body$",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {prefix}{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {prefix}{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    raise ValueError(f"no append-only DDL for {dialect}")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id() -> UUID:
    return UUID(bytes=uuid_utils.uuid7().bytes)


def _current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class ReadAccessLogger:
    """Writes and reads the log within the caller's session or connection; never updates or deletes."""

    def __init__(self, table: Table, *, service: str, clock: Callable[[], datetime] = _utcnow,
                 new_id: Callable[[], UUID] = _new_id) -> None:
        self.table = table
        self.service = service
        self._clock = clock
        self._new_id = new_id

    async def record(self, session: AsyncSession | AsyncConnection, principal: Principal, *,
                     case_kind: CaseKind, case_id: UUID | str, purpose: ReadPurpose,
                     fields: Iterable[str] = ()) -> ReadAccess:
        """Logs one read; the caller commits before returning the data."""
        return (await self.record_many(session, principal, case_kind=case_kind, case_ids=[case_id],
                                       purpose=purpose, fields=fields))[0]

    async def record_many(self, session: AsyncSession | AsyncConnection, principal: Principal, *,
                          case_kind: CaseKind, case_ids: Sequence[UUID | str], purpose: ReadPurpose,
                          fields: Iterable[str] = ()) -> list[ReadAccess]:
        """Logs a read of several cases at once (a list view showing personal data): one row per case."""
        if not principal.authenticated:
            raise PermissionError("personal data in a case is never read without sign-in")
        read_at, trace_id, parts = self._clock(), _current_trace_id(), tuple(fields)
        entries = [ReadAccess(id=self._new_id(), read_at=read_at, service=self.service,
                              user_id=principal.user_id, roles=tuple(sorted(principal.roles)),
                              case_kind=CaseKind(case_kind), case_id=str(case_id),
                              purpose=ReadPurpose(purpose), fields=parts, trace_id=trace_id)
                   for case_id in case_ids]
        if entries:
            await session.execute(insert(self.table), [_row(e) for e in entries])
        return entries

    async def query(self, session: AsyncSession | AsyncConnection, *, case_id: UUID | str | None = None,
                    user_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
                    limit: int = 500) -> list[ReadAccess]:
        """Entries, oldest first, filtered by case, user and time (``since`` inclusive, ``until`` not)."""
        t = self.table
        statement = select(t).order_by(t.c.read_at, t.c.id).limit(max(1, min(limit, 10_000)))
        if case_id is not None:
            statement = statement.where(t.c.case_id == str(case_id))
        if user_id is not None:
            statement = statement.where(t.c.user_id == user_id)
        if since is not None:
            statement = statement.where(t.c.read_at >= since)
        if until is not None:
            statement = statement.where(t.c.read_at < until)
        rows = (await session.execute(statement)).mappings().all()
        return [_entry(row) for row in rows]


def _row(entry: ReadAccess) -> dict[str, Any]:
    return {"id": str(entry.id), "read_at": entry.read_at, "service": entry.service, "user_id": entry.user_id,
            "roles": " ".join(entry.roles), "case_kind": entry.case_kind.value, "case_id": entry.case_id,
            "purpose": entry.purpose.value, "fields": json.dumps(list(entry.fields)),
            "trace_id": entry.trace_id}


def _entry(row: Any) -> ReadAccess:
    return ReadAccess(id=UUID(row["id"]), read_at=row["read_at"], service=row["service"],
                      user_id=row["user_id"], roles=tuple(Role(r) for r in row["roles"].split()),
                      case_kind=CaseKind(row["case_kind"]),
                      case_id=row["case_id"], purpose=ReadPurpose(row["purpose"]),
                      fields=tuple(json.loads(row["fields"])), trace_id=row["trace_id"])


def read_log_router(logger: ReadAccessLogger, sessions: async_sessionmaker[AsyncSession], *,
                    path: str = "/api/v1/read-access-log") -> APIRouter:
    """``GET <path>?case_id=&user_id=&since=&until=&limit=`` for auditors (``Permission.READ_LOG_READ``)."""
    router = APIRouter(tags=["read-access log"])

    @router.get(path, dependencies=[require(Permission.READ_LOG_READ)])
    async def read_access_log(case_id: str | None = None, user_id: str | None = None,
                              since: AwareDatetime | None = None, until: AwareDatetime | None = None,
                              limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> list[ReadAccess]:
        async with sessions() as session:
            return await logger.query(session, case_id=case_id, user_id=user_id, since=since, until=until,
                                      limit=limit)

    return router
