"""Intake's reconciliation queries: routing's acknowledgements, the accepted concerns still without one, and
the ``ConcernSubmitted`` outbox rows to ask again from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.events import ConcernSubmitted
from infohus.kit.db import insert_unless_taken, upsert_insert
from infohus.kit.outbox import Outbox
from services.intake.adapters.orm import concern_routing, concerns


class ReconciliationRepository:
    def __init__(self, session: AsyncSession, outbox: Table, topic_prefix: str) -> None:
        self._session = session
        self._outbox = outbox
        self._topic_prefix = topic_prefix

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def acknowledge(self, concern_id: UUID, routed_at: datetime) -> None:
        """Routing holds the concern (the first acknowledgement's time is kept)."""
        statement = upsert_insert(self._dialect, concern_routing).values(
            concern_id=str(concern_id), routed_at=routed_at.astimezone(UTC))
        await self._session.execute(statement.on_conflict_do_update(
            index_elements=[concern_routing.c.concern_id],
            set_={"routed_at": statement.excluded.routed_at},
            where=concern_routing.c.routed_at.is_(None)))

    async def unacknowledged(self, *, recorded_from: datetime, recorded_until: datetime, now: datetime,
                             limit: int) -> dict[str, int]:
        """Concerns recorded in [from, until] that routing has not acknowledged and that may be asked about
        again by ``now``, oldest first: how often each was asked about again so far."""
        rows = await self._session.execute(
            select(concerns.c.concern_id, concern_routing.c.times_asked_again)
            .outerjoin(concern_routing, concern_routing.c.concern_id == concerns.c.concern_id)
            .where(concerns.c.recorded_at >= recorded_from.astimezone(UTC),
                   concerns.c.recorded_at <= recorded_until.astimezone(UTC),
                   concern_routing.c.routed_at.is_(None),
                   or_(concern_routing.c.next_ask_at.is_(None),
                       concern_routing.c.next_ask_at <= now.astimezone(UTC)))
            .order_by(concerns.c.recorded_at).limit(limit))
        return {row[0]: int(row[1] or 0) for row in rows}

    async def submitted_events(self, concern_ids: Sequence[str]) -> list[Envelope[ConcernSubmitted]]:
        """The ``ConcernSubmitted`` each concern was first announced with (its outbox row, sent or not)."""
        rows = await self._session.execute(
            select(self._outbox.c.payload).where(and_(self._outbox.c.key.in_(list(concern_ids)),
                                                      self._outbox.c.event_type == ConcernSubmitted.event_type))
            .order_by(self._outbox.c.created_at))
        first: dict[UUID, Envelope[ConcernSubmitted]] = {}
        for (payload,) in rows:
            envelope = Envelope[ConcernSubmitted].model_validate_json(payload)
            first.setdefault(envelope.payload.concern_id, envelope)
        return list(first.values())

    async def ask_again(self, copies: Sequence[Envelope[ConcernSubmitted]]) -> None:
        """Put these copies in the outbox. Not through the unit of work's own outbox: a copy is no new concern
        (intake counts accepted concerns from the ConcernSubmitted events committed through that one)."""
        outbox = Outbox(self._session, self._outbox, self._topic_prefix)
        await outbox.add_all(copies)
        await outbox.flush()

    async def mark_asked_again(self, next_ask: Mapping[str, datetime], at: datetime) -> None:
        """These concerns were asked about again ``at``; each may be again from its time in ``next_ask``."""
        if not next_ask:
            return
        await self._session.execute(insert_unless_taken(self._dialect, concern_routing),
                                    [_new_row(concern_id) for concern_id in next_ask])
        await self._session.execute(
            update(concern_routing).where(concern_routing.c.concern_id == bindparam("key"))
            .values(asked_again_at=at.astimezone(UTC), next_ask_at=bindparam("next"),
                    times_asked_again=concern_routing.c.times_asked_again + 1),
            [{"key": concern_id, "next": when.astimezone(UTC)} for concern_id, when in next_ask.items()])

def _new_row(concern_id: str) -> dict[str, Any]:
    return {"concern_id": concern_id, "routed_at": None, "asked_again_at": None, "times_asked_again": 0,
            "next_ask_at": None}
