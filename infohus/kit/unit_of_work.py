"""The SQLAlchemy unit of work every service builds on: one transaction, its outbox and its inbox."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infohus.kit.outbox import Inbox, Outbox


class SqlUnitOfWork:
    """Commit at the request or message boundary; anything not committed is rolled back."""

    session: AsyncSession
    outbox: Outbox
    inbox: Inbox

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, outbox_table: Table, inbox_table: Table,
                 topic_prefix: str, consumer: str, on_commit: Callable[[], None] = lambda: None) -> None:
        self._sessions = sessions
        self._outbox_table = outbox_table
        self._inbox_table = inbox_table
        self._topic_prefix = topic_prefix
        self._consumer = consumer
        self._on_commit = on_commit

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self.outbox = Outbox(self.session, self._outbox_table, self._topic_prefix)
        self.inbox = Inbox(self.session, self._inbox_table, self._consumer)
        self._open_repositories(self.session)
        return self

    def _open_repositories(self, session: AsyncSession) -> None:
        """Services attach their repositories here."""

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        """Commit; ``on_commit`` (the outbox relay's wake-up) runs only if the transaction wrote outbox rows.

        A relay round costs a transaction of its own (≈ 1 ms of CPU): waking it for every commit made the
        relays of audit and routing, whose transactions mostly emit nothing, their services' biggest cost.
        """
        wrote = await self.outbox.flush()
        await self.session.commit()
        if wrote:
            self._on_commit()
