"""With the broker down intake still accepts; after the broker and an intake restart the event arrives."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.events import ConcernSubmitted
from contracts.topics import topic_name
from devtools.devstack.broker import LocalBroker
from services.intake.adapters.orm import concerns, tables
from services.intake.bootstrap import IntakeContainer, bootstrap
from services.intake.entrypoints.http import create_app
from tests.conftest import Databases
from tests.intake.builders import anonymous_body
from tests.intake.conftest import intake_settings
from tests.waiting import eventually

pytestmark = pytest.mark.slow


async def _rows_seen_from_outside(databases: Databases, reference: str) -> tuple[int, int]:
    """Read with an engine of our own, i.e. only what intake has committed."""
    url, schema = databases.urls["intake"], databases.schemas["intake"]
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}} if schema else {})
    try:
        async with engine.connect() as connection:
            found = (await connection.execute(select(concerns.c.concern_id)
                                              .where(concerns.c.reference == reference))).all()
            unpublished = (await connection.execute(select(tables.outbox.c.event_id)
                                                    .where(tables.outbox.c.published_at.is_(None)))).all()
        return len(found), len(unpublished)
    finally:
        await engine.dispose()


async def _consume_one(bootstrap_servers: str, topic: str, within: float) -> dict[str, object]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, group_id=f"test-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", session_timeout_ms=3000, heartbeat_interval_ms=1000,
                                fetch_max_wait_ms=50)
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), within)
        envelope: dict[str, object] = json.loads(record.value)
        return envelope
    finally:
        await consumer.stop()


def _intake(databases: Databases, broker: LocalBroker, prefix: str) -> IntakeContainer:
    settings = intake_settings(bootstrap_servers=broker.bootstrap_servers, prefix=prefix,
                               **databases.for_service("intake"))  # type: ignore[arg-type]
    # Short, so that a send to the absent broker fails fast; longer than a consumer group's join (intake
    # consumes routing's retention events), which waits up to the session timeout (3 s in tests).
    settings.kafka.request_timeout_ms = 5_000
    return bootstrap(settings)


async def test_intake_accepts_with_the_broker_down_and_publishes_after_restarts(
        databases: Databases, unique: str) -> None:
    broker = LocalBroker(silent=True)  # our own broker, not started yet: the session broker is left alone
    first = _intake(databases, broker, unique)
    await first.runtime.migrate()
    await first.runtime.start()  # keeps trying to reach the broker in the background
    try:
        app = create_app(first, manage_runtime=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test") as client:
            response = await client.post("/api/v1/concerns", json=anonymous_body())
        assert response.status_code == 201, response.text
        reference = response.json()["reference"]
        assert not first.runtime.ready
        # Committed before the answer: another connection sees the concern and its unpublished event.
        assert await _rows_seen_from_outside(databases, reference) == (1, 1)
    finally:
        await first.runtime.stop()

    await broker.astart()
    second = _intake(databases, broker, unique)
    try:
        await second.runtime.migrate()
        await second.runtime.start()
        await asyncio.wait_for(second.runtime.broker_connected.wait(), 30)
        envelope = await _consume_one(broker.bootstrap_servers, topic_name(ConcernSubmitted, f"{unique}."), 30)
        payload = envelope["payload"]
        assert isinstance(payload, dict) and payload["reference"] == reference
        assert envelope["type"] == "ConcernSubmitted"

        async def published() -> bool:
            return await _rows_seen_from_outside(databases, reference) == (1, 0)

        await eventually(published, 10)
    finally:
        await second.runtime.stop()
        await broker.astop()
