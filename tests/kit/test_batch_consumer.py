"""Batch consumption on SQLite/PostgreSQL and the real broker.

The shared transaction keeps a batch all or nothing, and runs after-commit work only after it commits; a unit of
work joins it only when given it; the subscriber handles a batch in one transaction, and when anything in it
fails, one message at a time, so an invalid or refused message is dead-lettered alone and every other message
takes effect exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.kafka import KafkaBroker
from opentelemetry import propagate, trace
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events import CaseTransitioned, Destination, NotificationSent
from contracts.topics import dead_letter_topic, topic_name
from infohus.kit.db import session_factory
from infohus.kit.messaging import PermanentError, ensure_topics, make_broker, subscribe_all
from infohus.kit.settings import KafkaSettings
from infohus.kit.telemetry import current_trace_id
from infohus.kit.unit_of_work import BatchMisuse, SharedTransaction, SqlUnitOfWork, UnitNotCommitted
from tests.conftest import Databases, kafka_test_settings
from tests.kit.support import kit_tables, read_topic
from tests.statements import recorded_statements
from tests.waiting import consumed_to_end, eventually

tracer = trace.get_tracer("tests.kit.batch")


@dataclass
class Store:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Table
    inbox: Table
    wakes: list[str] = field(default_factory=list)

    def unit_of_work(self, batch: SharedTransaction | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, outbox_table=self.outbox, inbox_table=self.inbox, topic_prefix="t.",
                             consumer="kit-test", on_commit=self.wake_relay, batch=batch)

    def wake_relay(self) -> None:
        self.wakes.append("relay")

    async def claimed(self) -> int:
        async with self.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(self.inbox))).scalar_one())

    async def outbox_rows(self) -> int:
        async with self.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(self.outbox))).scalar_one())


@pytest.fixture
async def store(databases: Databases) -> AsyncIterator[Store]:
    engine, outbox, inbox = await kit_tables(databases)
    try:
        yield Store(engine, session_factory(engine), outbox, inbox)
    finally:
        await engine.dispose()


def _event(sequence: int, concern_id: UUID | None = None) -> Envelope[Any]:
    concern_id = concern_id or uuid4()
    event = CaseTransitioned(concern_id=concern_id, reference=f"IH-2026-TEST-{sequence:04d}", infohus_case_id=uuid4(),
                             action="TRIAGE", from_state="NEW", to_state="TRIAGED", actor="u-1",
                             actor_role="tovholder_municipal", at=datetime.now(UTC))
    return Envelope.wrap(event, producer="kit-test", correlation_id=concern_id)


def _sent(sequence: int) -> Envelope[Any]:
    concern_id = uuid4()
    event = NotificationSent(notification_id=uuid4(), concern_id=concern_id, destination=Destination.INFOHUS_TK,
                             recipient="tk@example.test", message_id=f"<m{sequence}@test>", sent_at=datetime.now(UTC))
    return Envelope.wrap(event, producer="kit-test", correlation_id=concern_id)


async def _apply(store: Store, envelope: Envelope[Any], batch: SharedTransaction | None = None) -> None:
    """A handler like the services': claim, write an event to the outbox, commit (in ``batch``, if given)."""
    async with store.unit_of_work(batch) as uow:
        if not await uow.inbox.claim(envelope.event_id):
            return
        await uow.outbox.add(envelope)
        uow.after_commit(lambda: store.wakes.append(f"after {envelope.event_id}"))
        await uow.commit()


# --- the shared transaction ---------------------------------------------------------------------------------------


async def test_units_in_a_shared_transaction_commit_together_and_after_commit_work_waits(store: Store) -> None:
    events = [_event(i) for i in range(3)]
    async with SharedTransaction(store.sessions) as batch:
        for envelope in events:
            await _apply(store, envelope, batch)
        assert store.wakes == []  # nothing is committed yet, so nobody is told
        assert await store.claimed() == 0  # another connection sees nothing of the batch

    assert await store.claimed() == 3
    assert await store.outbox_rows() == 3
    assert store.wakes.count("relay") == 1  # the relay is woken once per batch
    assert [w for w in store.wakes if w != "relay"] == [f"after {e.event_id}" for e in events]


async def test_a_batch_writes_its_outbox_rows_with_one_statement_just_before_it_commits(store: Store) -> None:
    events = [_event(i) for i in range(3)]
    with recorded_statements(store.engine, "INSERT INTO outbox") as inserts:
        async with SharedTransaction(store.sessions) as batch:
            for envelope in events:
                await _apply(store, envelope, batch)
            assert inserts == []  # the units' rows wait for the batch
    assert len(inserts) == 1
    async with store.sessions() as session:
        stored = (await session.execute(select(store.outbox.c.event_id)
                                        .order_by(store.outbox.c.created_at))).all()
    assert [row.event_id for row in stored] == [str(e.event_id) for e in events]  # in the order they were added

    with recorded_statements(store.engine, "INSERT INTO outbox") as inserts:
        await _apply(store, _event(9))  # a unit of its own writes its rows when it commits
    assert len(inserts) == 1 and await store.outbox_rows() == 4


async def test_a_unit_that_ends_without_committing_undoes_the_whole_batch(store: Store) -> None:
    first, second = _event(1), _event(2)
    with pytest.raises(UnitNotCommitted):
        async with SharedTransaction(store.sessions) as batch:
            await _apply(store, first, batch)
            async with store.unit_of_work(batch) as uow:
                await uow.inbox.claim(second.event_id)  # claimed, then it ends without committing

    assert await store.claimed() == 0
    assert store.wakes == []
    await _apply(store, second)  # a unit of its own still works
    assert await store.claimed() == 1


async def test_a_redelivered_event_in_a_batch_does_not_undo_the_batch(store: Store) -> None:
    done, first, second = _event(0), _event(1), _event(2)
    await _apply(store, done)  # committed earlier: comes again in the batch
    async with SharedTransaction(store.sessions, event_ids=[first.event_id, done.event_id, second.event_id]) as batch:
        await _apply(store, first, batch)
        await _apply(store, done, batch)  # its claim says "already processed": the unit ends doing nothing
        await _apply(store, first, batch)  # the same event twice in one batch: the second claim says no
        await _apply(store, second, batch)
    assert await store.claimed() == 3
    assert await store.outbox_rows() == 3  # each event's effect once


async def test_a_unit_that_writes_after_a_refused_claim_still_undoes_the_batch(store: Store) -> None:
    done = _event(0)
    await _apply(store, done)
    with pytest.raises(UnitNotCommitted):
        async with SharedTransaction(store.sessions) as batch:
            await _apply(store, _event(1), batch)
            async with store.unit_of_work(batch) as uow:
                assert not await uow.inbox.claim(done.event_id)
                await uow.outbox.add(_event(2))  # ...and yet it wrote something, then forgot to commit
    assert await store.claimed() == 1 and await store.outbox_rows() == 1


async def test_a_failure_the_handler_swallows_still_undoes_the_batch(store: Store) -> None:
    async def swallowing_handler(envelope: Envelope[Any], batch: SharedTransaction) -> None:
        try:
            async with store.unit_of_work(batch) as uow:
                await uow.inbox.claim(envelope.event_id)  # half of the work is written...
                raise ValueError("...then the handler gives up")
        except ValueError:
            pass

    with pytest.raises(UnitNotCommitted):
        async with SharedTransaction(store.sessions) as batch:
            await _apply(store, _event(1), batch)
            await swallowing_handler(_event(2), batch)

    assert await store.claimed() == 0


async def test_a_unit_given_no_batch_has_a_transaction_of_its_own_even_while_a_batch_is_open(store: Store) -> None:
    async with SharedTransaction(store.sessions) as batch:
        await asyncio.create_task(_apply(store, _event(1)))  # commits by itself, at once
        assert await store.claimed() == 1
        await _apply(store, _event(2), batch)
    assert await store.claimed() == 2


async def test_a_unit_cannot_join_a_batch_from_another_task_nor_once_it_has_ended(store: Store) -> None:
    with pytest.raises(UnitNotCommitted):
        async with SharedTransaction(store.sessions) as batch:
            await _apply(store, _event(1), batch)
            with pytest.raises(BatchMisuse):  # a spawned task could outlive the batch's session
                await asyncio.create_task(_apply(store, _event(2), batch))
    assert await store.claimed() == 0  # the refused unit's work is missing, so the batch is not kept
    with pytest.raises(BatchMisuse):
        await _apply(store, _event(3), batch)
    assert await store.claimed() == 0


async def test_a_held_lock_lasts_until_the_batch_ends(store: Store) -> None:
    lock = asyncio.Lock()
    async with SharedTransaction(store.sessions) as batch:
        for _ in range(2):
            async with store.unit_of_work(batch) as uow:
                await uow.hold(lock)  # taken once, not again (it would deadlock)
                await uow.inbox.claim(uuid4())
                await uow.commit()
            assert lock.locked()
    assert not lock.locked()

    async with store.unit_of_work() as uow:
        await uow.hold(lock)
        assert lock.locked()
    assert not lock.locked()  # alone, a unit holds it until it ends


async def test_a_batch_claims_all_its_events_with_one_statement(store: Store) -> None:
    done, fresh, outsider = _event(0), [_event(i) for i in range(1, 4)], _event(9)
    await _apply(store, done)  # committed earlier: its claim in the batch must say no
    batch = [done.event_id, *(e.event_id for e in fresh)]
    with recorded_statements(store.engine, "INSERT INTO processed_events") as statements:
        async with SharedTransaction(store.sessions, event_ids=batch) as shared, store.unit_of_work(shared) as uow:
            answers = [await uow.inbox.claim(event_id) for event_id in batch]
            claimed_again = await uow.inbox.claim(fresh[0].event_id)
            outsider_claimed = await uow.inbox.claim(outsider.event_id)
            await uow.commit()

    assert answers == [False, True, True, True]
    assert not claimed_again  # an event is owned once, even within its own batch
    assert outsider_claimed  # an event not announced for the batch is claimed by itself
    # six claims, three statements: the batch's four events in one, the second claim and the outsider alone
    assert len(statements) == 3
    assert await store.claimed() == 5


async def test_a_batch_that_fails_releases_the_claims_made_for_it(store: Store) -> None:
    events = [_event(i) for i in range(3)]
    with pytest.raises(UnitNotCommitted):
        async with SharedTransaction(store.sessions, event_ids=[e.event_id for e in events]) as batch:
            await _apply(store, events[0], batch)
            async with store.unit_of_work(batch):
                pass  # ends without committing
    assert await store.claimed() == 0
    for envelope in events:  # handled one by one afterwards, each is still new
        await _apply(store, envelope)
    assert await store.claimed() == 3


# --- the subscriber on the real broker ----------------------------------------------------------------------------


async def _dead_lettered(settings: KafkaSettings, topic: str, expected: int) -> list[Any]:
    return await read_topic(settings.bootstrap_servers, topic, at_least=expected, within=30)


async def _publish_traced(broker: KafkaBroker, topic: str, envelope: Envelope[Any]) -> str:
    with tracer.start_as_current_span("producer") as span:
        headers: dict[str, str] = {}
        propagate.inject(headers)
        await broker.publish(envelope.model_dump_json().encode(), topic, key=str(envelope.correlation_id).encode(),
                             headers=headers)
        return format(span.get_span_context().trace_id, "032x")


async def _consume_with(settings: KafkaSettings, store: Store, handle: Any, until: int) -> None:
    broker = make_broker(settings, client_id="kit-batch")
    subscribe_all(broker, settings, {CaseTransitioned: handle}, service="kit-test", sessions=store.sessions)
    await broker.start()
    try:
        await eventually(lambda: _at_least(store, until), within=60)
        await eventually(lambda: _consumed(settings, [topic_name(CaseTransitioned, settings.topic_prefix)]))
    finally:
        await broker.stop()


async def _at_least(store: Store, count: int) -> bool:
    return await store.claimed() >= count


async def _consumed(settings: KafkaSettings, topics: list[str]) -> bool:
    """The subscriber has handled (applied, skipped or dead-lettered) and committed every message."""
    return await consumed_to_end(settings.bootstrap_servers, settings.group("kit-test"), topics)


def _settings(kafka: Any, unique: str, batch_size: int) -> KafkaSettings:
    return kafka_test_settings(kafka.bootstrap_servers, unique).model_copy(
        update={"consume_batch_max_records": batch_size})


async def test_waiting_messages_are_handled_in_one_transaction_each_in_its_own_trace_with_one_span(
        kafka: Any, store: Store, unique: str, span_exporter: Any) -> None:
    settings = _settings(kafka, unique, 50)
    topic = topic_name(CaseTransitioned, settings.topic_prefix)
    await ensure_topics(settings, [topic])
    events = [_event(i) for i in range(20)]
    traces: dict[UUID, str | None] = {}

    async def handle(envelope: Envelope[Any], batch: SharedTransaction | None) -> None:
        traces[envelope.event_id] = current_trace_id()
        await _apply(store, envelope, batch)

    producer = make_broker(settings, client_id="kit-batch-producer")
    await producer.connect()
    try:  # everything waits before the consumer starts, so it comes in one or a few batches
        sent_traces = {e.event_id: await _publish_traced(producer, topic, e) for e in events}
    finally:
        await producer.stop()
    spans_before = len(span_exporter.get_finished_spans())
    await _consume_with(settings, store, handle, until=len(events))

    assert await store.outbox_rows() == len(events)
    assert store.wakes.count("relay") < len(events)  # fewer commits than messages: batches were shared
    assert traces == sent_traces  # each message's work continues its own producer's trace
    consumer_spans = [s for s in span_exporter.get_finished_spans()[spans_before:] if s.kind is trace.SpanKind.CONSUMER]
    assert sorted(format(s.context.trace_id, "032x") for s in consumer_spans) == sorted(sent_traces.values())


@pytest.mark.parametrize("batch_size", [1, 50])
async def test_one_consumer_of_two_topics_dead_letters_bad_messages_alone_and_applies_the_rest_once(
        kafka: Any, store: Store, unique: str, batch_size: int) -> None:
    settings = _settings(kafka, unique, batch_size)
    transitions, sent = (topic_name(CaseTransitioned, settings.topic_prefix),
                         topic_name(NotificationSent, settings.topic_prefix))
    dead_letters = [dead_letter_topic(transitions, "kit-test"), dead_letter_topic(sent, "kit-test")]
    await ensure_topics(settings, [transitions, sent, *dead_letters])
    good = [_event(i) for i in range(10)] + [_sent(i) for i in range(10)]
    refused = _event(99)

    async def handle(envelope: Envelope[Any], batch: SharedTransaction | None) -> None:
        if envelope.event_id == refused.event_id:
            async with store.unit_of_work(batch) as uow:
                await uow.inbox.claim(envelope.event_id)
                raise PermanentError("refused for the test")
        await _apply(store, envelope, batch)

    producer = make_broker(settings, client_id="kit-batch-producer")
    await producer.connect()
    try:  # everything waits before the consumer starts, so the bad ones share a batch with good ones
        for envelope in good[:5] + good[10:15]:
            await producer.publish(envelope.model_dump_json().encode(), topic_name(type(envelope.payload),
                                   settings.topic_prefix), key=b"k")
        await producer.publish(b'{"not": "an envelope"}', sent, key=b"k")
        await producer.publish(refused.model_dump_json().encode(), transitions, key=b"k")
        for envelope in [*good[5:10], *good[15:], good[3]]:  # good[3] is delivered twice
            await producer.publish(envelope.model_dump_json().encode(), topic_name(type(envelope.payload),
                                   settings.topic_prefix), key=b"k")
    finally:
        await producer.stop()
    broker = make_broker(settings, client_id="kit-batch")
    subscribe_all(broker, settings, {CaseTransitioned: handle, NotificationSent: handle}, service="kit-test",
                  sessions=store.sessions)
    await broker.start()
    try:
        await eventually(lambda: _at_least(store, len(good)), within=60)
        await eventually(lambda: _consumed(settings, [transitions, sent]))  # the duplicate and the bad ones too
    finally:
        await broker.stop()

    assert await store.claimed() == len(good)  # the refused message's claim was rolled back with it
    assert await store.outbox_rows() == len(good)  # each good message took effect once
    transitions_dead = [dict(d.headers)["x-dead-letter-reason"].decode()
                        for d in await _dead_lettered(settings, dead_letters[0], expected=1)]
    sent_dead = [dict(d.headers)["x-dead-letter-reason"].decode()
                 for d in await _dead_lettered(settings, dead_letters[1], expected=1)]
    assert transitions_dead == ["refused for the test"]  # each to its own topic's dead letters
    assert len(sent_dead) == 1
    assert sent_dead[0].startswith("invalid envelope")
