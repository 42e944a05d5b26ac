from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from infohus.kit.db import remember_in_transaction, remembered_in_transaction
from infohus.kit.unit_of_work import SqlUnitOfWork
from services.audit.adapters.repository import (
    CheckpointRepository,
    DisclosureLogRepository,
    FactsRepository,
    QueryLogRepository,
)

# One writer at a time in this process. SQLite allows one writing connection anyway; the seq_no
# primary key and the chain trigger refuse a second writer that read the same head.
_process_append_lock = asyncio.Lock()
_APPEND_LOCKED = "infohus.audit.append_locked"


class AuditUnitOfWork(SqlUnitOfWork):
    log: DisclosureLogRepository
    checkpoints: CheckpointRepository
    query_log: QueryLogRepository
    facts: FactsRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.log = DisclosureLogRepository(session)
        self.checkpoints = CheckpointRepository(session)
        self.query_log = QueryLogRepository(session)
        self.facts = FactsRepository(session)

    @property
    def is_postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def lock_for_append(self) -> None:
        """Serialise appenders across processes and replicas until this transaction ends.

        PostgreSQL: a transaction-scoped advisory lock keyed by the schema, taken before the head is
        read, so two replicas never both chain onto the same head (the chain never forks). SQLite has a
        single writer; the process lock in ``appending`` covers this process.
        """
        if self.is_postgres and not remembered_in_transaction(self.session, _APPEND_LOCKED):  # once per transaction
            await self.session.execute(text(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/infohus.audit.append'))"))
            remember_in_transaction(self.session, _APPEND_LOCKED, True)


def appending() -> asyncio.Lock:
    return _process_append_lock
