"""Audit's retention queries: which records' payloads may be erased, and their erasure.

A record's payload (its content and query columns) and its subject rows go once its ``retention_until``
has passed and it is at least 5 years old (the statutory minimum, whatever ``retention_until`` says), unless
a legal hold covers its concern; its chain row stays, so the chain and every checkpoint still verify. On
PostgreSQL the app role erases through ``audit_erase_payloads()`` (migration 0005), which checks both dates
again; on SQLite the triggers of migration 0002 refuse a payload before its ``retention_until``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import BigInteger, String

from infohus.kit.retention import DISCLOSURE_MIN_YEARS
from infohus.kit.retention.tables import delete_where_in
from services.audit.adapters.orm import (
    auditor_query_log,
    disclosure_log,
    disclosure_payloads,
    disclosure_subjects,
    read_access_log,
)
from services.audit.domain.values import format_utc

_FORGET = text("SELECT audit_forget_access(:reads, :queries)").bindparams(
    bindparam("reads", type_=ARRAY(String)), bindparam("queries", type_=ARRAY(String)))
_ERASE = text("SELECT audit_erase_payloads(:wanted)").bindparams(bindparam("wanted", type_=ARRAY(BigInteger)))


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def erasable_payloads(session: AsyncSession, *, today: date, keep_concern_ids: Collection[str],
                            limit: int | None) -> list[int]:
    """Seq_nos of records past ``retention_until`` and the statutory minimum, not of a held concern."""
    log, payloads = disclosure_log, disclosure_payloads
    oldest_kept = years_before(today, DISCLOSURE_MIN_YEARS).isoformat()
    statement = (select(log.c.seq_no).join(payloads, payloads.c.seq_no == log.c.seq_no)
                 .where(log.c.retention_until < today, func.substr(payloads.c.occurred_at, 1, 10) < oldest_kept)
                 .order_by(log.c.seq_no).limit(limit))
    if keep_concern_ids:
        statement = statement.where((payloads.c.concern_id.is_(None))
                                    | payloads.c.concern_id.not_in(sorted(keep_concern_ids)))
    return [int(row[0]) for row in await session.execute(statement)]


async def auditor_queries_before(session: AsyncSession, before: datetime, limit: int) -> list[str]:
    """Entries of the auditors' own query log (who asked what of the log) older than ``before``."""
    q = auditor_query_log.c
    cutoff = format_utc(before.astimezone(UTC))
    rows = await session.execute(select(q.entry_id).where(q.at < cutoff).order_by(q.at).limit(limit))
    return [str(row[0]) for row in rows]


async def forget_access(session: AsyncSession, *, reads: Sequence[str], queries: Sequence[str]) -> int:
    """Delete rows of the read-access log and of the auditors' query log (older than 183 days, or the
    triggers refuse); on PostgreSQL through ``audit_forget_access()``, the app role having no DELETE on them."""
    if not reads and not queries:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return int((await session.execute(_FORGET, {"reads": list(reads), "queries": list(queries)})).scalar_one())
    return (await delete_where_in(session, read_access_log.c.id, reads)
            + await delete_where_in(session, auditor_query_log.c.entry_id, queries))


async def erase_payloads(session: AsyncSession, seq_nos: Sequence[int]) -> int:
    """Erase the payload and subject rows of ``seq_nos``; returns how many payloads went."""
    if not seq_nos:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return int((await session.execute(_ERASE, {"wanted": list(seq_nos)})).scalar_one())
    await delete_where_in(session, disclosure_subjects.c.seq_no, seq_nos)
    return await delete_where_in(session, disclosure_payloads.c.seq_no, seq_nos)
