"""The outbox relay on the real broker and SQLite/PostgreSQL: a batch is sent in order per key, confirmed as a
whole and marked sent in one go; a failed confirmation leaves the whole batch unsent; a commit wakes the relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.kafka import KafkaBroker
from opentelemetry import trace
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events import CaseTransitioned
from contracts.topics import topic_name
from infohus.kit.db import session_factory
from infohus.kit.messaging import KafkaPublisher, ensure_topics, make_broker
from infohus.kit.outbox import OutboxRelay
from infohus.kit.settings import KafkaSettings
from infohus.kit.unit_of_work import SqlUnitOfWork
from tests.conftest import Databases, kafka_test_settings
from tests.kit.support import kit_tables, read_topic

tracer = trace.get_tracer("tests.kit.relay")


@dataclass
class RelayWorld:
    settings: KafkaSettings
    topic: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Table
    inbox: Table
    broker: KafkaBroker

    def unit_of_work(self, on_commit: Any = lambda: None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, outbox_table=self.outbox, inbox_table=self.inbox,
                             topic_prefix=self.settings.topic_prefix, consumer="kit-test", on_commit=on_commit)

    def relay(self, publisher: Any = None, **options: Any) -> OutboxRelay:
        return OutboxRelay(self.sessions, self.outbox, publisher or KafkaPublisher(self.broker), **options)

    async def unsent(self) -> int:
        async with self.sessions() as session:
            rows = (await session.execute(select(self.outbox.c.event_id)
                                          .where(self.outbox.c.published_at.is_(None)))).all()
        return len(rows)


@pytest.fixture
async def world(kafka: Any, databases: Databases, unique: str) -> AsyncIterator[RelayWorld]:
    settings = kafka_test_settings(kafka.bootstrap_servers, unique)
    topic = topic_name(CaseTransitioned, settings.topic_prefix)
    await ensure_topics(settings, [topic])
    engine, outbox, inbox = await kit_tables(databases)
    broker = make_broker(settings, client_id="kit-relay-test")
    await broker.connect()
    try:
        yield RelayWorld(settings, topic, engine, session_factory(engine), outbox, inbox, broker)
    finally:
        await broker.stop()
        await engine.dispose()


def _event(concern_id: UUID, sequence: int) -> Envelope[Any]:
    event = CaseTransitioned(concern_id=concern_id, reference=f"IH-2026-TEST-{sequence:04d}", infohus_case_id=uuid4(),
                             action="TRIAGE", from_state="NEW", to_state="TRIAGED", actor="u-1",
                             actor_role="tovholder_municipal", at=datetime.now(UTC))
    return Envelope.wrap(event, producer="kit-test", correlation_id=concern_id)


async def _write(world: RelayWorld, events: list[Envelope[Any]], on_commit: Any = lambda: None) -> str:
    """Add the events in one transaction inside a span; returns that span's trace id."""
    with tracer.start_as_current_span("writer") as span:
        async with world.unit_of_work(on_commit) as uow:
            await uow.outbox.add_all(events)
            await uow.commit()
        return format(span.get_span_context().trace_id, "032x")


async def _consume(world: RelayWorld, count: int) -> list[Any]:
    return await read_topic(world.settings.bootstrap_servers, world.topic, at_least=count)


async def test_a_batch_goes_out_in_order_per_key_with_its_trace_and_is_marked_sent(world: RelayWorld) -> None:
    keys = [uuid4() for _ in range(3)]
    events = [_event(keys[i % 3], i) for i in range(30)]  # interleaved keys
    trace_id = await _write(world, events)

    assert await world.relay(batch_size=200).publish_pending() == 30

    assert await world.unsent() == 0
    records = await _consume(world, 30)
    headers = [dict(record.headers) for record in records]
    assert [h["event_id"].decode() for h in headers] == [str(e.event_id) for e in events]  # one partition: all in order
    assert {h["traceparent"].decode().split("-")[1] for h in headers} == {trace_id}  # the writer's trace continues
    for key in keys:
        sent = [record.value for record in records if record.key == str(key).encode()]
        assert sent == [e.model_dump_json().encode() for e in events if e.correlation_id == key]


async def test_each_relayed_event_has_one_producer_span_whose_context_the_message_carries(
        world: RelayWorld, span_exporter: Any) -> None:
    events = [_event(uuid4(), i) for i in range(3)]
    trace_id = await _write(world, events)

    assert await world.relay().publish_pending() == 3

    records = await _consume(world, 3)
    spans = [s for s in span_exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    producers = [s for s in spans if s.kind is trace.SpanKind.PRODUCER]
    assert len(producers) == 3  # one per message, not a second one from FastStream's middleware
    assert {(s.name, s.attributes["messaging.destination.name"]) for s in producers} == {
        (f"{world.topic} publish", world.topic)}
    carried = {dict(r.headers)["traceparent"].decode().split("-")[2] for r in records}
    assert carried == {format(s.context.span_id, "016x") for s in producers}  # a consumer continues this span


class _FailingOne:
    """The real publisher, except that one record's confirmation fails (the broker refused it)."""

    def __init__(self, real: KafkaPublisher, fail_at: int) -> None:
        self._real = real
        self._fail_at = fail_at
        self.sent = 0

    async def publish_raw(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> None:
        raise AssertionError("the relay confirms in batches")

    async def send_raw(self, topic: str, key: str, value: bytes, headers: dict[str, str]) -> Awaitable[object]:
        self.sent += 1
        if self.sent == self._fail_at:
            failed: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            failed.set_exception(ConnectionError("refused"))
            return failed
        return await self._real.send_raw(topic, key, value, headers)


async def test_a_failed_confirmation_leaves_the_whole_batch_unsent_until_it_goes_through(world: RelayWorld) -> None:
    events = [_event(uuid4(), i) for i in range(5)]
    await _write(world, events)
    failing = _FailingOne(KafkaPublisher(world.broker), fail_at=4)

    with pytest.raises(ConnectionError):
        await world.relay(failing).publish_pending()
    assert failing.sent == 5  # the rest of the batch was handed over (and confirmed) all the same
    assert await world.unsent() == 5  # but nothing is marked sent: at least once

    assert await world.relay().publish_pending() == 5
    assert await world.unsent() == 0
    delivered = {dict(r.headers)["event_id"].decode() for r in await _consume(world, 9)}
    assert delivered == {str(e.event_id) for e in events}


async def test_a_commit_wakes_the_sleeping_relay(world: RelayWorld) -> None:
    relay = world.relay(poll_interval_s=3600)  # only a wake-up can make it look again within the test
    rounds: asyncio.Queue[int] = asyncio.Queue()
    publish_pending = relay.publish_pending

    async def counted() -> int:
        published = await publish_pending()
        rounds.put_nowait(published)
        return published

    relay.publish_pending = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    try:
        assert await asyncio.wait_for(rounds.get(), 30) == 0  # the first round found nothing; now it sleeps
        await _write(world, [_event(uuid4(), 1)], on_commit=relay.wake)
        assert await asyncio.wait_for(rounds.get(), 30) == 1
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
    assert await world.unsent() == 0


async def test_outbox_rows_are_written_together_at_commit_each_with_its_own_time_and_trace(
        world: RelayWorld) -> None:
    """One multi-row INSERT at commit; a rolled-back unit of work writes nothing."""
    concern = uuid4()
    async with world.unit_of_work() as uow:
        with tracer.start_as_current_span("first") as first:
            await uow.outbox.add(_event(concern, 1))
        with tracer.start_as_current_span("second") as second:
            await uow.outbox.add(_event(concern, 2))
        assert (await uow.session.execute(select(world.outbox.c.event_id))).all() == []  # not yet written
        await uow.commit()
    async with world.unit_of_work() as uow:  # left without commit: rolled back
        await uow.outbox.add(_event(concern, 3))
    async with world.sessions() as session:
        rows = (await session.execute(select(world.outbox).order_by(world.outbox.c.created_at,
                                                                    world.outbox.c.event_id))).mappings().all()
    assert [Envelope[CaseTransitioned].model_validate_json(r["payload"]).payload.reference for r in rows] == [
        "IH-2026-TEST-0001", "IH-2026-TEST-0002"]
    assert rows[0]["created_at"] <= rows[1]["created_at"]
    traces = [format(s.get_span_context().trace_id, "032x") for s in (first, second)]
    assert [traces[i] in rows[i]["headers"] for i in range(2)] == [True, True]


async def test_only_a_commit_that_wrote_outbox_rows_wakes_the_relay(world: RelayWorld) -> None:
    """A relay round is a transaction of its own: commits that emit nothing (most of audit's) must not cost one."""
    wakes: list[str] = []
    async with world.unit_of_work(lambda: wakes.append("woken")) as uow:
        await uow.inbox.claim(uuid4())
        await uow.commit()
    assert wakes == []
    async with world.unit_of_work(lambda: wakes.append("woken")) as uow:
        await uow.outbox.add(_event(uuid4(), 1))
        await uow.commit()
    assert wakes == ["woken"]


async def test_an_inbox_claim_is_one_per_event_and_released_by_a_rollback(world: RelayWorld) -> None:
    event_id = uuid4()
    async with world.unit_of_work() as uow:  # claimed, then rolled back: not processed
        assert await uow.inbox.claim(event_id)
    async with world.unit_of_work() as uow:
        assert not await uow.inbox.seen(event_id)
        assert await uow.inbox.claim(event_id)
        await uow.commit()
    async with world.unit_of_work() as uow:  # processed: a redelivery is skipped
        assert await uow.inbox.seen(event_id)
        assert not await uow.inbox.claim(event_id)
