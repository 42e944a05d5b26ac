"""Which notifications routing asked for, read from its own outbox: the source of truth for notify's watchdog.

Only references, codes and deadlines are in these events, never personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.adapters.keyset import InvalidCursor
from services.routing.adapters.orm import tables

EVENT_TYPE = "NotificationRequested"


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _decode(cursor: str) -> tuple[datetime, str]:
    """The (created_at, event_id) a cursor names; :class:`InvalidCursor` for anything else."""
    after_at, _, after_id = cursor.partition("|")
    try:
        after = datetime.fromisoformat(after_at)
    except ValueError as error:
        raise InvalidCursor("bad cursor") from error
    if after.utcoffset() is None or not after_id:
        raise InvalidCursor("bad cursor")
    return after, after_id


class RequestedNotifications:
    """The NotificationRequested events in routing's outbox, by the time they were requested."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def between(self, start: datetime, end: datetime, *, cursor: str | None, limit: int) -> Page:
        """Requests made in [start, end), oldest first; the cursor is the last row's (created_at, event_id)."""
        outbox = tables.outbox
        query = (select(outbox.c.event_id, outbox.c.created_at, outbox.c.payload)
                 .where(outbox.c.event_type == EVENT_TYPE, outbox.c.created_at >= start, outbox.c.created_at < end)
                 .order_by(outbox.c.created_at, outbox.c.event_id).limit(limit + 1))
        if cursor:
            after, after_id = _decode(cursor)
            query = query.where(or_(outbox.c.created_at > after,
                                    and_(outbox.c.created_at == after, outbox.c.event_id > after_id)))
        rows = (await self._session.execute(query)).all()
        items = [{"requested_at": row.created_at.isoformat(), "notification": json.loads(row.payload)["payload"]}
                 for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = f"{last.created_at.isoformat()}|{last.event_id}"
        return Page(items, next_cursor)
