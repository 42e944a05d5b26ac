"""The routing decisions, one per concern, as made when the concern arrived."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.decision import Decision
from services.routing.adapters.instants import aware_at, utc
from services.routing.adapters.orm import decisions


class DecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, decision_id: UUID, concern_id: UUID, reference: str, received_at: datetime,
                  decided_at: datetime, decision: Decision, trace_id: str | None) -> None:
        await self._session.execute(decisions.insert(), dict(
            decision_id=str(decision_id), concern_id=str(concern_id), reference=reference,
            received_at=utc(received_at), decided_at=utc(decided_at), config_version=decision.config_version,
            decision=decision.model_dump_json(), trace_id=trace_id))

    async def get(self, concern_id: UUID) -> Decision | None:
        row = (await self._session.execute(
            select(decisions.c.decision).where(decisions.c.concern_id == str(concern_id)))).first()
        return None if row is None else Decision.model_validate_json(row[0])

    async def stored(self, concern_id: UUID) -> tuple[Decision, datetime] | None:
        """The decision as stored when the concern arrived, and when it was made."""
        row = (await self._session.execute(select(decisions.c.decision, decisions.c.decided_at)
                                           .where(decisions.c.concern_id == str(concern_id)))).first()
        return None if row is None else (Decision.model_validate_json(row[0]), aware_at(row[1]))

    async def first_decided_at(self, config_version: str) -> datetime | None:
        """When the earliest decision under ``config_version`` was made (None: none yet)."""
        # Ordered rather than min(): the column's type (UTC-aware on every backend) stays applied.
        first: datetime | None = (await self._session.execute(
            select(decisions.c.decided_at).where(decisions.c.config_version == config_version)
            .order_by(decisions.c.decided_at).limit(1))).scalar_one_or_none()
        return first
