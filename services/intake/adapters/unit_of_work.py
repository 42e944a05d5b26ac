from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.unit_of_work import SqlUnitOfWork
from services.intake.adapters.repository import ConcernRepository


class IntakeUnitOfWork(SqlUnitOfWork):
    concerns: ConcernRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.concerns = ConcernRepository(session)
