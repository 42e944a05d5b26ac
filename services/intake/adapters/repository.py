from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.concern import ConcernIn
from infohus.kit.db import insert_unless_taken
from services.intake.adapters.orm import concern_persons, concerns
from services.intake.domain.lookup import Criterion, CriterionKind, fold_name, persons_of
from services.intake.domain.model import Concern


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive UTC


def _concern(row: Any) -> Concern:
    return Concern(concern_id=UUID(row["concern_id"]), reference=row["reference"],
                   received_at=_aware(row["received_at"]), recorded_at=_aware(row["recorded_at"]),
                   body=ConcernIn.model_validate_json(row["body"]), recorded_by=row["recorded_by"])


def person_rows(concern: Concern) -> list[dict[str, Any]]:
    """The search rows of ``concern``'s subjects and children (``concern_persons``)."""
    return [{"concern_id": str(concern.concern_id), "path": named.path,
             "name_folded": fold_name(named.person.name) if named.person.name else None,
             "cpr": named.person.cpr, "date_of_birth": named.person.date_of_birth}
            for named in persons_of(concern.body)]


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
        if stored.first() is None:
            return False
        await self._session.execute(insert(concern_persons), person_rows(concern))  # every concern has a subject
        return True

    async def get_by_submission_id(self, submission_id: str) -> Concern | None:
        return await self._one(select(concerns).where(concerns.c.submission_id == submission_id))

    async def get(self, concern_id: UUID) -> Concern | None:
        return await self._one(select(concerns).where(concerns.c.concern_id == str(concern_id)))

    async def get_by_reference(self, reference: str) -> Concern | None:
        return await self._one(select(concerns).where(concerns.c.reference == reference.upper()))

    async def search(self, criterion: Criterion, limit: int) -> list[Concern]:
        """Concerns matching ``criterion``, the most recently received first."""
        statement = (select(concerns).order_by(concerns.c.received_at.desc(), concerns.c.concern_id.desc())
                     .limit(limit))
        if criterion.kind is CriterionKind.REFERENCE:
            statement = statement.where(concerns.c.reference == criterion.value)
        else:
            matching = select(concern_persons.c.concern_id)
            if criterion.kind is CriterionKind.CPR:
                matching = matching.where(concern_persons.c.cpr == criterion.value)
            else:
                matching = matching.where(*(concern_persons.c.name_folded.contains(word, autoescape=True)
                                            for word in criterion.words))
            statement = statement.where(concerns.c.concern_id.in_(matching))
        return await self._all(statement)

    async def _one(self, statement: Select[Any]) -> Concern | None:
        row = (await self._session.execute(statement)).mappings().first()
        return None if row is None else _concern(row)

    async def _all(self, statement: Select[Any]) -> list[Concern]:
        return [_concern(row) for row in (await self._session.execute(statement)).mappings().all()]
