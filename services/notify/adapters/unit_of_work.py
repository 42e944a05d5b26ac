from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.unit_of_work import SqlUnitOfWork
from services.notify.adapters.repository import DeliveryRepository


class NotifyUnitOfWork(SqlUnitOfWork):
    deliveries: DeliveryRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.deliveries = DeliveryRepository(session)
