"""What every service's retention plan has alike: published outbox rows past their period and read-access-log
rows past theirs, except those about a held case; and their deletion."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.retention.plan import RetentionPlan
from infohus.kit.retention.tables import delete_where_in, expired_read_log_ids, published_outbox_ids

OUTBOX = "outbox"
READ_LOG = "read_access_log"


async def plan_outbox(session: AsyncSession, plan: RetentionPlan, outbox: Table, *, before: datetime,
                      limit: int) -> None:
    plan.add(OUTBOX, await published_outbox_ids(session, outbox, before, limit))


async def plan_read_log(session: AsyncSession, plan: RetentionPlan, read_log: Table, *, before: datetime,
                        keep_case_ids: Collection[str], limit: int) -> None:
    plan.add(READ_LOG, await expired_read_log_ids(session, read_log, before, keep_case_ids=keep_case_ids,
                                                  limit=limit))


async def delete_outbox_and_read_log(session: AsyncSession, plan: RetentionPlan, outbox: Table,
                                     read_log: Table | None = None) -> None:
    await delete_where_in(session, outbox.c.event_id, plan.items.get(OUTBOX, []))
    if read_log is not None:
        await delete_where_in(session, read_log.c.id, plan.items.get(READ_LOG, []))
