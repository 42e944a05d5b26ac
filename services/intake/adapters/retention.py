"""Intake's retention queries: the concerns routing erased (and no hold covers), and their erasure."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.retention.tables import delete_where_in, erased_concern_ids
from services.intake.adapters.orm import concern_persons, concern_retention, concern_routing, concerns


async def concerns_to_erase(session: AsyncSession, limit: int) -> list[str]:
    return await erased_concern_ids(session, concern_retention, kept_in=concerns.c.concern_id, limit=limit)


async def erase_concerns(session: AsyncSession, concern_ids: Sequence[str]) -> int:
    """The concerns and their search rows (the story, the persons, CPR numbers, the reporter's contact)."""
    await delete_where_in(session, concern_persons.c.concern_id, concern_ids)
    await delete_where_in(session, concern_routing.c.concern_id, concern_ids)
    return await delete_where_in(session, concerns.c.concern_id, concern_ids)
