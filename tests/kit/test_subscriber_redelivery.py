"""A subscriber whose database restarts redelivers the message; it never dead-letters it (real broker)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from sqlalchemy.exc import DBAPIError

from contracts.envelope import Envelope
from contracts.events import CaseTransitioned
from contracts.topics import dead_letter_topic, topic_name
from infohus.kit.messaging import ensure_topics, make_broker, subscribe_all
from infohus.kit.settings import KafkaSettings
from infohus.kit.unit_of_work import SharedTransaction
from tests.conftest import kafka_test_settings


class _ConnectionLost(Exception):
    sqlstate = "08003"


def _restart_error() -> DBAPIError:
    """What asyncpg raises through SQLAlchemy when PostgreSQL restarts under a running statement."""
    return DBAPIError("select 1", {}, _ConnectionLost(), connection_invalidated=True)


async def _records(settings: KafkaSettings, topic: str) -> int:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=1000)
        return sum(len(records) for records in batch.values())
    finally:
        await consumer.stop()


async def test_a_database_restart_redelivers_instead_of_dead_lettering(kafka: Any, unique: str) -> None:
    settings = kafka_test_settings(kafka.bootstrap_servers, unique)
    topic = topic_name(CaseTransitioned, settings.topic_prefix)
    dlt = dead_letter_topic(topic, "kit-test")
    await ensure_topics(settings, [topic, dlt])
    calls, handled = 0, asyncio.Event()

    async def handle(_envelope: Envelope[Any], _batch: SharedTransaction | None) -> None:
        nonlocal calls
        calls += 1
        if calls <= settings.handler_max_attempts + 1:  # longer than one delivery's retries last
            raise _restart_error()
        handled.set()

    broker = make_broker(settings, client_id="kit-test")
    subscribe_all(broker, settings, {CaseTransitioned: handle}, service="kit-test")
    await broker.start()
    try:
        concern_id = uuid4()
        event = CaseTransitioned(concern_id=concern_id, reference="IH-2026-TEST-0001", infohus_case_id=uuid4(),
                                 action="TRIAGE", from_state="NEW", to_state="TRIAGED", actor="u-1",
                                 actor_role="tovholder_municipal", at=datetime.now(UTC))
        envelope = Envelope.wrap(event, producer="intake", correlation_id=concern_id)
        await broker.publish(envelope.model_dump_json().encode(), topic, key=str(concern_id).encode())
        await asyncio.wait_for(handled.wait(), 60)
    finally:
        await broker.stop()
    assert calls > settings.handler_max_attempts  # it came again after the retries of one delivery ran out
    assert await _records(settings, dlt) == 0
