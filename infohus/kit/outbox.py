"""Transactional outbox and idempotent-consumer inbox, shared by every service.

Domain rows and outbox rows are written in one transaction; the relay publishes unsent rows and
marks them sent. The W3C trace context of the writer is stored with the row and restored by the
relay, so a trace continues across the database hop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope, EventPayload, utcnow
from contracts.topics import topic_name
from infohus.kit.aio import wait_for_wake
from infohus.kit.db import UtcDateTime, insert_unless_taken

log = logging.getLogger(__name__)
tracer = trace.get_tracer("infohus.outbox")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("topic", String(255), nullable=False),
        Column("key", String(64), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Index("ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL"),
              sqlite_where=text("published_at IS NULL")),
    )


def processed_events_table(metadata: MetaData) -> Table:
    """The inbox: one row per (consumer, event) whose effect is committed."""
    return Table(
        "processed_events", metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime, nullable=False),
    )


def messaging_attributes(topic: str, event_type: str) -> dict[str, str]:
    """A message's span attributes (OpenTelemetry messaging conventions): where it goes, never what it says."""
    return {"messaging.system": "kafka", "messaging.destination.name": topic, "infohus.event_type": event_type}


def current_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class Outbox:
    """Adds events to the outbox within the caller's session (and so its transaction).

    Rows are collected and written together by :meth:`flush` (one multi-row ``INSERT``), which the unit
    of work calls before it commits; each row keeps the ``created_at`` and trace context of its ``add``.
    """

    def __init__(self, session: AsyncSession, table: Table, topic_prefix: str) -> None:
        self._session = session
        self._table = table
        self._prefix = topic_prefix
        self._insert = table.insert()
        self._pending: list[dict[str, Any]] = []
        self._added: list[EventPayload] = []

    async def add(self, envelope: Envelope[Any]) -> None:
        self._added.append(envelope.payload)
        self._pending.append({
            "event_id": str(envelope.event_id),
            "topic": topic_name(type(envelope.payload), self._prefix),
            "key": str(envelope.correlation_id),
            "event_type": envelope.type,
            "payload": envelope.model_dump_json(),
            "headers": json.dumps(current_trace_headers()),
            "created_at": utcnow(),
        })

    @property
    def pending(self) -> int:
        """Rows added and not yet written."""
        return len(self._pending)

    def take_added(self) -> list[EventPayload]:
        """The events added since the last call: the unit of work reports them once they are committed."""
        added, self._added = self._added, []
        return added

    async def add_all(self, envelopes: Sequence[Envelope[Any]]) -> None:
        for envelope in envelopes:
            await self.add(envelope)

    async def flush(self) -> int:
        """Write the rows added so far; the unit of work calls it before committing. Returns how many."""
        if not self._pending:
            return 0
        rows, self._pending = self._pending, []
        await self._session.execute(self._insert, rows)
        return len(rows)


@functools.cache
def _seen_statement(table: Table) -> Select[tuple[str]]:
    """Built once per table: building a statement from scratch costs more than running it."""
    return select(table.c.event_id).where(table.c.consumer == bindparam("consumer"),
                                          table.c.event_id == bindparam("event_id"))


_BATCH_CLAIMS = "infohus.inbox.batch_claims"


@dataclass
class _BatchClaims:
    event_ids: tuple[str, ...]
    claimer: tuple[Table, str] | None = None
    answers: dict[str, bool] = field(default_factory=dict)


def expect_claims(session: AsyncSession, event_ids: Iterable[UUID]) -> None:
    """The events of a batch about to be handled in ``session``'s transaction: the batch's first
    ``Inbox.claim`` claims them all in one statement, and the later claims take their answers from it.

    An event of the batch that no handler claims is marked processed all the same, with the batch's
    commit; a handler that does not claim does not rely on the mark.
    """
    unique = tuple(dict.fromkeys(str(event_id) for event_id in event_ids))
    if unique:
        session.info[_BATCH_CLAIMS] = _BatchClaims(unique)


class Inbox:
    def __init__(self, session: AsyncSession, table: Table, consumer: str) -> None:
        self._session = session
        self._table = table
        self._consumer = consumer
        self._seen = _seen_statement(table)
        self.refused = 0  # claims that answered "already processed"

    async def claim(self, event_id: UUID) -> bool:
        """Mark the event processed in this transaction, unless it already was: True if this transaction
        owns it now, False if its effect is already committed (skip it).

        One statement for "seen?" and "mark", and in a batch one for all its events
        (``expect_claims``). The row commits with the effect and a rollback releases it; a
        concurrent transaction claiming the same event waits for this one and then gets False
        (PostgreSQL), or is refused as a second writer (SQLite).
        """
        answer = await self._answer_from_batch(str(event_id))
        if answer is None:
            answer = bool(await self._claim_each([str(event_id)]))
        if not answer:
            self.refused += 1
        return answer

    async def _answer_from_batch(self, event_id: str) -> bool | None:
        batch: _BatchClaims | None = self._session.info.get(_BATCH_CLAIMS)
        if batch is None:
            return None
        if batch.claimer is None:
            batch.claimer = (self._table, self._consumer)
            claimed = await self._claim_each(batch.event_ids)
            batch.answers = {candidate: candidate in claimed for candidate in batch.event_ids}
        if batch.claimer != (self._table, self._consumer):
            return None
        return batch.answers.pop(event_id, None)  # popped: the same event claimed again gets False

    async def _claim_each(self, event_ids: Sequence[str]) -> set[str]:
        """Claim these events with one statement; the ones this transaction now owns."""
        statement = insert_unless_taken(self._session.get_bind().dialect.name, self._table,
                                        (self._table.c.consumer, self._table.c.event_id), (self._table.c.event_id,))
        now = utcnow()
        result = await self._session.execute(
            statement, [{"consumer": self._consumer, "event_id": event_id, "processed_at": now}
                        for event_id in event_ids])
        return set(result.scalars())

    async def seen(self, event_id: UUID) -> bool:
        row = await self._session.execute(self._seen, {"consumer": self._consumer, "event_id": str(event_id)})
        return row.first() is not None


class Publisher(Protocol):
    async def publish_raw(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None: ...

    async def send_raw(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> Awaitable[object]:
        """Hand the record to the producer and return its confirmation without waiting for it.

        Records handed over one after another keep that order per partition.
        """
        ...


class OutboxRelay:
    """Publishes committed outbox rows in order; survives broker outages by retrying with backoff."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], table: Table, publisher: Publisher, *,
                 poll_interval_s: float = 0.5, batch_size: int = 200, max_backoff_s: float = 5.0) -> None:
        self._sessions = sessions
        self._table = table
        self._publisher = publisher
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._stopping = False
        # Built once: a relay round runs per commit that wrote outbox rows, and building these costs more
        # than running them.
        self._unsent = (select(table).where(table.c.published_at.is_(None))
                        .order_by(table.c.created_at, table.c.event_id)
                        .limit(batch_size).with_for_update(skip_locked=True))
        self._mark_sent = (update(table).where(table.c.event_id.in_(bindparam("event_ids", expanding=True)))
                           .values(published_at=bindparam("published_at")))

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                published = await self.publish_pending()
                failures = 0
            except Exception as error:  # broker or database unavailable: keep rows, retry later
                failures += 1
                delay = min(self._max_backoff_s, 0.1 * 2 ** failures) * (0.5 + random.random() / 2)  # noqa: S311
                log.warning("outbox relay failed (%s); retrying in %.2fs", type(error).__name__, delay)
                await self._sleep(delay)
                continue
            if published < self._batch_size:
                await self._sleep(self._poll_interval_s)

    async def _sleep(self, seconds: float) -> None:
        await wait_for_wake(self._wake, seconds)

    async def replay_since(self, since: datetime) -> int:
        """Mark events created since ``since`` unpublished, so the relay sends them again."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(update(self._table).where(self._table.c.created_at >= since)
                                           .where(self._table.c.published_at.is_not(None)).values(published_at=None))
        self.wake()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published.

        The batch's records are handed to the producer in order (so per key, i.e. per partition, they keep
        their order) and confirmed together; only when every one is confirmed are the rows marked sent, in
        one statement. A failure leaves the whole batch unsent, to be sent again (at least once).
        """
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(self._unsent)).mappings().all()
            if not rows:
                return 0
            confirmations: list[Awaitable[object]] = []
            try:
                for row in rows:
                    confirmations.append(await self._send_row(row))
            finally:  # what was handed over is always awaited, so no confirmation's error goes unseen
                results = await asyncio.gather(*confirmations, return_exceptions=True)
            failed = next((r for r in results if isinstance(r, BaseException)), None)
            if failed is not None:
                raise failed
            await session.execute(self._mark_sent, {"event_ids": [r["event_id"] for r in rows],
                                                    "published_at": utcnow()})
        return len(rows)

    async def _send_row(self, row: Any) -> Awaitable[object]:
        stored_context = propagate.extract(json.loads(row["headers"]))
        token = otel_context.attach(stored_context)
        try:
            with tracer.start_as_current_span(f"{row['topic']} publish", kind=trace.SpanKind.PRODUCER,
                                              attributes=messaging_attributes(row["topic"], row["event_type"])):
                headers = {"event_id": row["event_id"], "event_type": row["event_type"], **current_trace_headers()}
                return await self._publisher.send_raw(row["topic"], row["key"], row["payload"].encode(), headers)
        finally:
            otel_context.detach(token)


__all__ = ["Envelope", "EventPayload", "Inbox", "Outbox", "OutboxRelay", "outbox_table", "processed_events_table"]
