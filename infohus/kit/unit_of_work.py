"""The SQLAlchemy unit of work every service builds on: one transaction, its outbox and its inbox.

A consumer that takes messages in batches runs them in one :class:`SharedTransaction` and hands it to
each handler, which passes it to the units of work it opens (``batch=``): such a unit joins that
transaction, and its ``commit`` only says "my part is done". A unit given no batch has a transaction of its
own, always. The batch commits once, after every unit did; if any unit failed or ended without committing,
nothing of the batch is kept and the consumer handles the messages one by one; but a unit whose inbox claim
said "already processed" (a redelivered event) and that ends without adding to the outbox leaves the batch
as it is. The units share one outbox, so the batch's events are written with one statement just before it
commits.

A unit can join a batch only while it is open, on the batch's own sessions and from the batch's own task
(a task it spawned could outlive the session); anything else is refused with :class:`BatchMisuse`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infohus.kit.metrics import events_committed
from infohus.kit.outbox import Inbox, Outbox, expect_claims

Callback = Callable[[], None]


class UnitNotCommitted(Exception):
    """A unit of work in a shared transaction ended without committing (or failed).

    Alone it would have rolled back its own part; in a shared transaction that part cannot be told apart,
    so the whole batch is rolled back and handled message by message.
    """


class BatchMisuse(RuntimeError):
    """A unit of work was given a batch it cannot join (closed, other sessions, or another task)."""


class SharedTransaction:
    """One transaction for the units of work of a batch; commits once, when every unit committed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, event_ids: Iterable[UUID] = ()) -> None:
        self._sessions = sessions
        self._event_ids = event_ids
        self._callbacks: dict[Callback, None] = {}  # ordered, each once
        self._held = contextlib.AsyncExitStack()
        self._held_locks: set[asyncio.Lock] = set()
        self._failed = False
        self._owner: asyncio.Task[object] | None = None
        self._open = False
        self._outboxes: dict[tuple[Table, str], Outbox] = {}
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        expect_claims(self.session, self._event_ids)
        self._owner = asyncio.current_task()
        self._open = True
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._open = False
        committed = False
        try:
            if exc_type is None and self._failed:
                raise UnitNotCommitted("a unit of work in the batch failed")
            if exc_type is None:
                for outbox in self._outboxes.values():
                    await outbox.flush()
                await self.session.commit()
                committed = True
        finally:
            if not committed and self.session.in_transaction():
                await self.session.rollback()
            await self.session.close()
            await self._held.aclose()  # locks are released only once the transaction has ended
        if committed:
            for outbox in self._outboxes.values():
                events_committed(outbox.take_added())
            for callback in self._callbacks:
                callback()

    def admit(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Let a unit of work on ``sessions`` join, or refuse it: only while open, on the batch's own sessions,
        and from the batch's own task (a task it spawned must not outlive the session)."""
        if not self._open:
            raise BatchMisuse("the batch transaction is not open")
        if sessions is not self._sessions or asyncio.current_task() is not self._owner:
            self._failed = True  # the batch must not commit without the work this unit was meant to do
            raise BatchMisuse("a unit of work joins a batch only on its own sessions and from its own task")

    def outbox(self, table: Table, topic_prefix: str) -> Outbox:
        """The batch's one outbox for ``table``: its rows are written together when the batch commits."""
        key = (table, topic_prefix)
        if key not in self._outboxes:
            self._outboxes[key] = Outbox(self.session, table, topic_prefix)
        return self._outboxes[key]

    def after_commit(self, callback: Callback) -> None:
        self._callbacks[callback] = None

    def unit_failed(self) -> None:
        """Even if the handler swallowed the error, the transaction may hold half of its unit's work."""
        self._failed = True

    async def hold(self, lock: asyncio.Lock) -> None:
        """Acquire ``lock`` once for the rest of the batch (an ``asyncio.Lock`` is not re-entrant)."""
        if lock not in self._held_locks:
            await self._held.enter_async_context(lock)
            self._held_locks.add(lock)


class SqlUnitOfWork:
    """Commit at the request or message boundary; anything not committed is rolled back.

    Given ``batch``, the unit is part of that shared transaction (see the module's description).
    """

    session: AsyncSession
    outbox: Outbox
    inbox: Inbox

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, outbox_table: Table, inbox_table: Table,
                 topic_prefix: str, consumer: str, on_commit: Callback = lambda: None,
                 batch: SharedTransaction | None = None) -> None:
        self._sessions = sessions
        self._outbox_table = outbox_table
        self._inbox_table = inbox_table
        self._topic_prefix = topic_prefix
        self._consumer = consumer
        self._on_commit = on_commit
        self._shared = batch
        self._committed = False
        self._after_commit: list[Callback] = []
        self._held = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Self:
        self._committed = False
        if self._shared is not None:
            self._shared.admit(self._sessions)
            self.session = self._shared.session
            self.outbox = self._shared.outbox(self._outbox_table, self._topic_prefix)
        else:
            self.session = self._sessions()
            await self.session.begin()
            self.outbox = Outbox(self.session, self._outbox_table, self._topic_prefix)
        self.inbox = Inbox(self.session, self._inbox_table, self._consumer)
        self._pending_at_start = self.outbox.pending  # in a batch the outbox is shared
        self._open_repositories(self.session)
        return self

    def _open_repositories(self, session: AsyncSession) -> None:
        """Services attach their repositories here."""

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._shared is not None:
            if exc_type is None and not self._committed and self._only_refused_claims():
                return  # a redelivered event: this unit did nothing, and the batch stays as it is
            if exc_type is not None or not self._committed:
                self._shared.unit_failed()
            if exc_type is None and not self._committed:
                raise UnitNotCommitted("a unit of work ended without committing")
            return
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()
            await self._held.aclose()

    def _only_refused_claims(self) -> bool:
        """The unit's claim said "already processed" and it wrote nothing to the outbox: it ended as a
        handler ends on a redelivered event, having done nothing, so it must not undo its batch (a batch
        undone for each redelivered event would be handled one message at a time: a slow catch-up)."""
        return self.inbox.refused > 0 and self.outbox.pending == self._pending_at_start

    async def hold(self, lock: asyncio.Lock) -> None:
        """Hold ``lock`` until this unit's transaction ends (in a batch: until the batch's ends)."""
        if self._shared is not None:
            await self._shared.hold(lock)
        else:
            await self._held.enter_async_context(lock)

    def after_commit(self, callback: Callback) -> None:
        """Run ``callback`` once this unit's work is committed (in a batch: once the batch is)."""
        if self._shared is not None:
            self._shared.after_commit(callback)
        else:
            self._after_commit.append(callback)

    async def commit(self) -> None:
        """Commit; ``on_commit`` (the outbox relay's wake-up) runs only if the transaction wrote outbox rows.

        A relay round costs a transaction of its own (≈ 1 ms of CPU): waking it for every commit made the
        relays of audit and routing, whose transactions mostly emit nothing, their services' biggest cost.
        In a shared transaction the rows are written and committed with the batch's.
        """
        if self._shared is not None:
            if self.outbox.pending:
                self.after_commit(self._on_commit)
            self._committed = True
            return
        if await self.outbox.flush():
            self.after_commit(self._on_commit)
        await self.session.commit()
        events_committed(self.outbox.take_added())
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()
