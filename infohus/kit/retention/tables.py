"""The deletions every service makes alike, and the one projection they share.

- ``concern_retention`` (intake, notify, audit): what routing said about each concern
  (``ConcernRetentionChanged``): held (delete nothing of it) and erased (delete what is left of it).
- The outbox: published rows are only needed for the replay after a broker lost its data
  (``INFOHUS_KAFKA_REPLAY_WINDOW_HOURS``); intake's carry whole concerns.
- The read-access log: rows older than the configured period, except those about a held concern or case.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Boolean, Column, Index, MetaData, String, Table, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ConcernRetentionChanged, RetentionChange
from infohus.kit.db import UtcDateTime, upsert_insert

CONCERN_RETENTION = "concern_retention"
CHUNK = 500
"""Ids per DELETE statement (SQLite allows 32,766 bound parameters, PostgreSQL 65,535)."""


def concern_retention_table(metadata: MetaData) -> Table:
    return Table(
        CONCERN_RETENTION, metadata,
        Column("concern_id", String(36), primary_key=True),
        Column("held", Boolean, nullable=False, server_default=false()),
        Column("held_changed_at", UtcDateTime, nullable=True),
        Column("erased_at", UtcDateTime, nullable=True),
        Index("ix_concern_retention_held", "held"),
    )


def create_concern_retention(op: Any) -> None:
    """``op`` is a migration's ``alembic.op``: the same table for the service's Alembic history."""
    op.create_table(
        CONCERN_RETENTION,
        sa.Column("concern_id", sa.String(length=36), nullable=False),
        sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("held_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("concern_id"),
    )
    op.create_index("ix_concern_retention_held", CONCERN_RETENTION, ["held"], unique=False)


async def apply_retention_change(session: AsyncSession, table: Table, event: ConcernRetentionChanged) -> None:
    """Fold one event into the projection, whatever order a redelivery brings: the latest hold change wins,
    and an erasure, once known, stays."""
    dialect = session.get_bind().dialect.name
    statement = upsert_insert(dialect, table)
    concern_id = str(event.concern_id)
    if event.change is RetentionChange.ERASED:
        statement = statement.values(concern_id=concern_id, held=False, erased_at=event.at).on_conflict_do_update(
            index_elements=[table.c.concern_id],
            set_={"erased_at": sa.func.coalesce(table.c.erased_at, statement.excluded.erased_at)})
    else:
        statement = statement.values(concern_id=concern_id, held=event.change is RetentionChange.HELD,
                                     held_changed_at=event.at)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.concern_id],
            set_={"held": statement.excluded.held, "held_changed_at": statement.excluded.held_changed_at},
            where=or_(table.c.held_changed_at.is_(None),
                      table.c.held_changed_at <= statement.excluded.held_changed_at))
    await session.execute(statement)


async def apply_retention_event(envelope: Envelope[ConcernRetentionChanged], *, uow: Any, table: Table) -> None:
    """The consumer of ``ConcernRetentionChanged`` in intake, notify and audit: the projection row and the
    inbox row in one transaction. ``uow`` is the service's unit of work (a ``SqlUnitOfWork``)."""
    async with uow:
        if not await uow.inbox.claim(envelope.event_id):
            return
        await apply_retention_change(uow.session, table, envelope.payload)
        await uow.commit()


async def held_concern_ids(session: AsyncSession, table: Table) -> set[str]:
    rows = await session.execute(select(table.c.concern_id).where(table.c.held.is_(True)))
    return {str(r[0]) for r in rows}


async def erased_concern_ids(session: AsyncSession, table: Table, *, kept_in: Any, limit: int) -> list[str]:
    """Concerns routing erased, that no hold covers now (a hold set after the erasure still stops ours) and
    of which the service still keeps rows (``kept_in``: the column of its table that holds concern ids)."""
    rows = await session.execute(select(table.c.concern_id)
                                 .where(table.c.erased_at.is_not(None), table.c.held.is_(False),
                                        table.c.concern_id.in_(select(kept_in).distinct()))
                                 .order_by(table.c.erased_at, table.c.concern_id).limit(limit))
    return [str(r[0]) for r in rows]


async def published_outbox_ids(session: AsyncSession, outbox: Table, before: datetime, limit: int) -> list[str]:
    rows = await session.execute(select(outbox.c.event_id)
                                 .where(outbox.c.published_at.is_not(None), outbox.c.published_at < before)
                                 .order_by(outbox.c.published_at, outbox.c.event_id).limit(limit))
    return [str(r[0]) for r in rows]


async def expired_read_log_ids(session: AsyncSession, read_log: Table, before: datetime, *,
                               keep_case_ids: Collection[str], limit: int) -> list[str]:
    """Read-access-log rows read before ``before``, except those about ``keep_case_ids`` (held)."""
    statement = (select(read_log.c.id).where(read_log.c.read_at < before)
                 .order_by(read_log.c.read_at, read_log.c.id).limit(limit))
    if keep_case_ids:
        statement = statement.where(read_log.c.case_id.not_in(sorted(keep_case_ids)))
    return [str(r[0]) for r in await session.execute(statement)]


async def delete_where_in(session: AsyncSession, column: Any, ids: Sequence[Any]) -> int:
    """DELETE the rows whose ``column`` is one of ``ids``, a chunk per statement; returns how many went."""
    deleted = 0
    for start in range(0, len(ids), CHUNK):
        result = await session.execute(sa.delete(column.table).where(column.in_(ids[start:start + CHUNK])))
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted
