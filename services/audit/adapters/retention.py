"""Audit's retention queries: which records' payloads may be erased, and their erasure.

A record's payload (its content and query columns) and its subject rows go once its ``retention_until``
has passed and it is at least 5 years old (the statutory minimum, whatever ``retention_until`` says), unless
a legal hold covers its concern; its chain row stays, so the chain and every checkpoint still verify. On
PostgreSQL the app role erases through ``audit_erase_payloads()`` (migration 0005), which checks both dates
again; on SQLite the triggers of migration 0002 refuse a payload before its ``retention_until``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import BigInteger

from infohus.kit.retention import DISCLOSURE_MIN_YEARS
from infohus.kit.retention.tables import delete_where_in
from services.audit.adapters.orm import disclosure_log, disclosure_payloads, disclosure_subjects

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


async def erase_payloads(session: AsyncSession, seq_nos: Sequence[int]) -> int:
    """Erase the payload and subject rows of ``seq_nos``; returns how many payloads went."""
    if not seq_nos:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return int((await session.execute(_ERASE, {"wanted": list(seq_nos)})).scalar_one())
    await delete_where_in(session, disclosure_subjects.c.seq_no, seq_nos)
    return await delete_where_in(session, disclosure_payloads.c.seq_no, seq_nos)
