from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.concern import ConcernIn
from infohus.kit.db import insert_unless_taken
from services.intake.adapters.orm import concerns
from services.intake.domain.model import Concern


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive UTC


class ConcernRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, concern: Concern) -> bool:
        """Store ``concern`` unless its submission id or its reference is taken; True if it was stored.

        A concurrent transaction storing the same submission id is waited for, so its concern is found next.
        """
        statement = insert_unless_taken(self._session.get_bind().dialect.name, concerns,
                                        returning=(concerns.c.concern_id,))
        stored = await self._session.execute(statement, dict(
            concern_id=str(concern.concern_id), reference=concern.reference,
            submission_id=concern.submission_id, channel=concern.body.channel.value,
            anonymous=concern.anonymous, received_at=concern.received_at.astimezone(UTC),
            recorded_at=concern.recorded_at.astimezone(UTC),
            body=concern.body.model_dump_json(), recorded_by=concern.recorded_by,
        ))
        return stored.first() is not None

    async def get_by_submission_id(self, submission_id: str) -> Concern | None:
        row = (await self._session.execute(
            select(concerns).where(concerns.c.submission_id == submission_id))).mappings().first()
        if row is None:
            return None
        return Concern(concern_id=UUID(row["concern_id"]), reference=row["reference"],
                       received_at=_aware(row["received_at"]), recorded_at=_aware(row["recorded_at"]),
                       body=ConcernIn.model_validate_json(row["body"]), recorded_by=row["recorded_by"])

