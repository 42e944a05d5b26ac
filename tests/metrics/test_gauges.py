"""The gauges read a service's own state: an outbox that does not drain, a consumer that stopped.

What the alerts of deploy/k8s/base/monitoring/alerts.yaml look at: the outbox's backlog and the age of its
oldest event (InfohusOutboxStale), and a consumer's lag next to its progress (InfohusConsumerStopped).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events import CaseTransitioned
from contracts.metrics import CONSUMER_LAG, MESSAGES_CONSUMED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, SERVICE, TOPIC
from contracts.topics import dead_letter_topic, topic_name
from infohus.kit.db import session_factory
from infohus.kit.gauges import RuntimeGauges
from infohus.kit.messaging import ensure_topics, make_broker, subscribe_all
from infohus.kit.settings import KafkaSettings
from infohus.kit.unit_of_work import SharedTransaction, SqlUnitOfWork
from tests.conftest import Databases, kafka_test_settings
from tests.kit.support import kit_tables
from tests.metrics.conftest import Reading
from tests.waiting import eventually

pytestmark = pytest.mark.slow

TRANSITIONS = "infohus.routing.case-transitioned.v1"
AUDIT_TRANSITIONS = {SERVICE: "audit", TOPIC: TRANSITIONS}


def _transition() -> Envelope[CaseTransitioned]:
    concern_id = uuid4()
    return Envelope.wrap(CaseTransitioned(
        concern_id=concern_id, reference="IH-2026-TEST-0001", infohus_case_id=uuid4(), action="TRIAGE",
        from_state="NEW", to_state="TRIAGED", actor="u-1", actor_role="tovholder_municipal", at=datetime.now(UTC)),
        producer="metrics-test", correlation_id=concern_id)


@contextlib.asynccontextmanager
async def running(gauges: RuntimeGauges) -> AsyncIterator[RuntimeGauges]:
    task = asyncio.create_task(gauges.run(0.1))
    try:
        yield gauges
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_an_outbox_that_does_not_drain_shows_its_backlog_and_its_age(
        databases: Databases, metric_reader: InMemoryMetricReader) -> None:
    engine, outbox, inbox = await kit_tables(databases)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    clock = [now]
    never_started = make_broker(KafkaSettings(), client_id="metrics-test")
    gauges = RuntimeGauges("routing", sessions, outbox, never_started, KafkaSettings(), clock=lambda: clock[0])
    try:
        async with running(gauges):
            await eventually(lambda: _outbox_reads(metric_reader, backlog=0, age=0.0))
            await _commit_events(sessions, outbox, inbox, 2)
            await eventually(lambda: _outbox_reads(metric_reader, backlog=2, age=None))
            clock[0] = now + timedelta(seconds=90)  # nothing publishes them: they only grow older
            reading = Reading.take(metric_reader)
            assert reading.total(OUTBOX_OLDEST_AGE, {SERVICE: "routing"}) >= 89
        assert Reading.take(metric_reader).of(OUTBOX_BACKLOG) == []  # a stopped runtime reports nothing
    finally:
        await engine.dispose()


async def test_a_consumer_that_stopped_falls_behind_and_makes_no_progress(
        kafka: Any, unique: str, tmp_path: Path, metric_reader: InMemoryMetricReader) -> None:
    settings = kafka_test_settings(kafka.bootstrap_servers, unique)
    topic = topic_name(CaseTransitioned, settings.topic_prefix)
    await ensure_topics(settings, [topic, dead_letter_topic(topic, "audit")])
    engine, outbox, _inbox = await kit_tables(Databases("sqlite", {"routing": f"sqlite+aiosqlite:///{tmp_path}/k.db"},
                                                        {"routing": None}))
    stuck = asyncio.Event()

    async def handle(_envelope: Envelope[Any], _batch: SharedTransaction | None) -> None:
        await stuck.wait()

    broker = make_broker(settings, client_id="metrics-lag")
    subscribe_all(broker, settings, {CaseTransitioned: handle}, service="audit")
    before = Reading.take(metric_reader)
    await broker.connect()
    for _ in range(3):
        await broker.publish(_transition().model_dump_json().encode(), topic, key=b"k")
    await broker.start()
    gauges = RuntimeGauges("audit", session_factory(engine), outbox, broker, settings)
    try:
        async with running(gauges):
            stopped = await eventually(lambda: _lag_is(metric_reader, 3), within=30)
            assert stopped.delta(before, MESSAGES_CONSUMED, AUDIT_TRANSITIONS) == 0
            stuck.set()
            await eventually(lambda: _lag_is(metric_reader, 0), within=30)
            await eventually(lambda: _consumed(metric_reader, before, 3), within=30)
            assert Reading.take(metric_reader).delta(before, MESSAGES_CONSUMED, AUDIT_TRANSITIONS) == 3
    finally:
        stuck.set()
        await broker.stop()
        await engine.dispose()


async def _commit_events(sessions: async_sessionmaker[AsyncSession], outbox: Table, inbox: Table, count: int) -> None:
    async with SqlUnitOfWork(sessions, outbox_table=outbox, inbox_table=inbox, topic_prefix="t.",
                             consumer="metrics-test") as uow:
        for _ in range(count):
            await uow.outbox.add(_transition())
        await uow.commit()


async def _outbox_reads(reader: InMemoryMetricReader, *, backlog: int, age: float | None) -> bool:
    reading = Reading.take(reader)
    backlog_points = [p.value for p in reading.of(OUTBOX_BACKLOG) if p.attributes == {SERVICE: "routing"}]
    age_points = [p.value for p in reading.of(OUTBOX_OLDEST_AGE) if p.attributes == {SERVICE: "routing"}]
    return backlog_points == [backlog] and len(age_points) == 1 and (age is None or age_points == [age])


async def _lag_is(reader: InMemoryMetricReader, lag: int) -> Reading | None:
    reading = Reading.take(reader)
    points = [p for p in reading.of(CONSUMER_LAG) if p.matches(CONSUMER_LAG, AUDIT_TRANSITIONS)]
    return reading if points and sum(p.value for p in points) == lag else None


async def _consumed(reader: InMemoryMetricReader, before: Reading, count: int) -> bool:
    return Reading.take(reader).delta(before, MESSAGES_CONSUMED, AUDIT_TRANSITIONS) >= count
