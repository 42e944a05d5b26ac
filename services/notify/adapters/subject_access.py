"""The mails notify holds about given concerns, for a data subject's access request (GDPR art. 15): which
mailbox, why, in which state and when; never the address or the mail itself."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.subject_access import MailAbout
from services.notify.adapters.orm import deliveries

_COLUMNS = [column for column in deliveries.c if column.name in MailAbout.model_fields]


async def mails_about(session: AsyncSession, concern_ids: Collection[str]) -> list[MailAbout]:
    if not concern_ids:
        return []
    d = deliveries.c
    rows = await session.execute(select(*_COLUMNS).where(d.concern_id.in_(sorted(concern_ids)))
                                 .order_by(d.created_at, d.notification_id))
    return [MailAbout.model_validate(dict(row)) for row in rows.mappings()]
