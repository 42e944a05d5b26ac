"""On the real broker: a refused or unrepresentable DisclosureRecorded goes to audit's dead-letter topic
with the reason (no personal data), a lawful one is appended; nothing is silently dropped.

An unknown code is refused by the contract (the code lists are its field types), so such an event can only
be sent as bytes: the envelope is invalid."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer

from contracts.envelope import Envelope
from contracts.events import DisclosureRecorded
from contracts.topics import dead_letter_topic, topic_name
from services.audit.bootstrap import AuditContainer
from tests.audit.domain.builders import event_fields
from tests.waiting import eventually

pytestmark = pytest.mark.slow


async def test_refused_and_invalid_events_are_dead_lettered_with_their_reason(audit_on_broker: AuditContainer) -> None:
    audit, settings = audit_on_broker, audit_on_broker.settings
    topic = topic_name(DisclosureRecorded, settings.kafka.topic_prefix)
    refused = Envelope.wrap(DisclosureRecorded(**event_fields(record_id=UUID(int=1), purpose="CRIMINAL_REPORT")),
                            producer="routing", correlation_id=uuid4())
    invalid = Envelope.wrap(DisclosureRecorded(**event_fields(record_id=UUID(int=2), executed_by="Anna Jensen")),
                            producer="routing", correlation_id=uuid4())
    lawful = Envelope.wrap(DisclosureRecorded(**event_fields(record_id=UUID(int=3))),
                           producer="routing", correlation_id=uuid4())
    unknown_channel = invalid.model_dump_json().replace('"channel":"SECURE_EMAIL"', '"channel":"CARRIER_PIGEON"')
    assert "CARRIER_PIGEON" in unknown_channel
    for envelope, value in ((refused, refused.model_dump_json()), (invalid, unknown_channel),
                            (lawful, lawful.model_dump_json())):
        await audit.runtime.broker.publish(value.encode(), topic, key=str(envelope.correlation_id).encode())

    async def appended() -> int:
        async with audit.unit_of_work() as uow:
            return await uow.log.count()

    assert await eventually(appended) == 1
    reasons = await _dead_letter_reasons(settings.kafka.bootstrap_servers, dead_letter_topic(topic, "audit"), 2)
    assert reasons == {str(refused.event_id): "refused by invariants I3(purpose)",
                       str(invalid.event_id): "invalid envelope: 1 errors"}
    assert "Anna" not in "".join(reasons.values())


async def _dead_letter_reasons(servers: str, dlt: str, expected: int) -> dict[str, str]:
    consumer = AIOKafkaConsumer(dlt, bootstrap_servers=servers, auto_offset_reset="earliest",
                                group_id=f"dlt-reader-{uuid4().hex[:8]}", session_timeout_ms=3000,
                                heartbeat_interval_ms=1000)
    await consumer.start()
    found: dict[str, str] = {}
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    for message in messages:
                        headers = {k: v.decode() for k, v in message.headers}
                        found[json.loads(message.value)["event_id"]] = headers["x-dead-letter-reason"]
    finally:
        await consumer.stop()
    return found
