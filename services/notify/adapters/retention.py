"""Notify's retention queries: sent deliveries past their period and the deliveries of concerns routing
erased, never those of a held concern; and their deletion with their re-drive records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.retention.tables import delete_where_in
from services.notify.adapters.orm import concern_retention, deliveries, delivery_redrives
from services.notify.domain.delivery import State


async def deliveries_to_delete(session: AsyncSession, *, sent_before: datetime, limit: int) -> list[str]:
    r, d = concern_retention, deliveries
    held = select(r.c.concern_id).where(r.c.held.is_(True))
    erased = select(r.c.concern_id).where(r.c.erased_at.is_not(None))
    sent_long_ago = (d.c.state == State.SENT.value) & (d.c.sent_at < sent_before)
    of_erased_concern = (d.c.state != State.SENDING.value) & d.c.concern_id.in_(erased)
    rows = await session.execute(select(d.c.notification_id)
                                 .where(or_(sent_long_ago, of_erased_concern), d.c.concern_id.not_in(held))
                                 .order_by(d.c.created_at, d.c.notification_id).limit(limit))
    return [str(row[0]) for row in rows]


async def delete_deliveries(session: AsyncSession, notification_ids: Sequence[str]) -> int:
    await delete_where_in(session, delivery_redrives.c.notification_id, notification_ids)
    return await delete_where_in(session, deliveries.c.notification_id, notification_ids)
