from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.unit_of_work import SqlUnitOfWork
from services.intake.adapters.reconciliation import ReconciliationRepository
from services.intake.adapters.repository import ConcernRepository


class IntakeUnitOfWork(SqlUnitOfWork):
    concerns: ConcernRepository
    reconciliation: ReconciliationRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.concerns = ConcernRepository(session)
        self.reconciliation = ReconciliationRepository(session, self._outbox_table, self._topic_prefix)
