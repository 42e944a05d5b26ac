from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.unit_of_work import SqlUnitOfWork
from services.routing.adapters.case_queries import CaseQueries
from services.routing.adapters.repository import RoutingRepository


class RoutingUnitOfWork(SqlUnitOfWork):
    routing: RoutingRepository
    queries: CaseQueries

    def _open_repositories(self, session: AsyncSession) -> None:
        self.routing = RoutingRepository(session)
        self.queries = CaseQueries(session)
