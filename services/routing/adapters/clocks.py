"""Statutory clocks and the deadline events each has emitted (each (clock, kind) once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import DeadlineKind
from services.routing.adapters.instants import aware, aware_at, str_or_none, utc, utc_or_none, uuid_or_none
from services.routing.adapters.orm import clocks, deadline_events
from services.routing.domain.clocks import BREACH_KINDS, WARNING_KINDS, Clock, ClockKind


class ClockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_all(self, new: Sequence[Clock]) -> None:
        """All in one statement (a concern starts three)."""
        if new:
            await self._session.execute(clocks.insert(), [dict(clock_id=str(c.clock_id), **_row(c)) for c in new])

    async def save(self, clock: Clock) -> None:
        await self._session.execute(update(clocks).where(clocks.c.clock_id == str(clock.clock_id))
                                    .values(**_row(clock)))

    async def get(self, clock_id: UUID) -> Clock | None:
        row = (await self._session.execute(
            select(clocks).where(clocks.c.clock_id == str(clock_id)))).mappings().first()
        return None if row is None else _clock(row)

    async def for_concern(self, concern_id: UUID) -> list[Clock]:
        rows = (await self._session.execute(select(clocks).where(clocks.c.concern_id == str(concern_id))
                                            .order_by(clocks.c.due_at, clocks.c.kind))).mappings().all()
        return [_clock(r) for r in rows]

    async def running_due(self, now: datetime, limit: int = 500) -> list[Clock]:
        """Running clocks whose warning or due time has come (some may have emitted everything already)."""
        moment = utc(now)

        def not_emitted(kinds: frozenset[DeadlineKind]) -> Any:
            return ~exists().where(deadline_events.c.clock_id == clocks.c.clock_id,
                                   deadline_events.c.kind.in_([k.value for k in kinds]))

        # Clocks that owe nothing more (already breached and reported) are left out, so a backlog of
        # breached running clocks never hides a clock that has just fallen due.
        rows = (await self._session.execute(
            select(clocks).where(
                clocks.c.stopped_at.is_(None),
                or_(and_(clocks.c.due_at <= moment, not_emitted(BREACH_KINDS)),
                    and_(clocks.c.warn_at.is_not(None), clocks.c.warn_at <= moment, not_emitted(WARNING_KINDS))))
            .order_by(clocks.c.due_at).limit(limit))).mappings().all()
        return [_clock(r) for r in rows]

    async def emitted_kinds(self, clock_ids: list[UUID]) -> dict[UUID, set[DeadlineKind]]:
        out: dict[UUID, set[DeadlineKind]] = {clock_id: set() for clock_id in clock_ids}
        if not clock_ids:
            return out
        rows = await self._session.execute(select(deadline_events.c.clock_id, deadline_events.c.kind).where(
            deadline_events.c.clock_id.in_([str(c) for c in clock_ids])))
        for clock_id, kind in rows:
            out[UUID(clock_id)].add(DeadlineKind(kind))
        return out

    async def record_emitted(self, clock_id: UUID, kind: DeadlineKind, event_id: UUID, at: datetime) -> None:
        """Primary key (clock, kind): a second emission of the same deadline fails the transaction."""
        await self._session.execute(deadline_events.insert(), dict(
            clock_id=str(clock_id), kind=kind.value, event_id=str(event_id), emitted_at=utc(at)))

    async def deadline_events_for(self, clock_ids: list[UUID]) -> list[dict[str, Any]]:
        rows = await self._session.execute(select(deadline_events).where(
            deadline_events.c.clock_id.in_([str(c) for c in clock_ids])).order_by(deadline_events.c.emitted_at))
        return [dict(r) for r in rows.mappings()]


def _row(clock: Clock) -> dict[str, Any]:
    return dict(kind=clock.kind.value, concern_id=str(clock.concern_id), case_id=str_or_none(clock.infohus_case_id),
                underretning_id=str_or_none(clock.underretning_id), started_at=utc(clock.started_at),
                due_at=utc(clock.due_at), warn_at=utc_or_none(clock.warn_at), stopped_at=utc_or_none(clock.stopped_at),
                stop_reason=clock.stop_reason)


def _clock(row: Any) -> Clock:
    return Clock(clock_id=UUID(row["clock_id"]), kind=ClockKind(row["kind"]), concern_id=UUID(row["concern_id"]),
                 infohus_case_id=uuid_or_none(row["case_id"]), underretning_id=uuid_or_none(row["underretning_id"]),
                 started_at=aware_at(row["started_at"]), due_at=aware_at(row["due_at"]), warn_at=aware(row["warn_at"]),
                 stopped_at=aware(row["stopped_at"]), stop_reason=row["stop_reason"])
