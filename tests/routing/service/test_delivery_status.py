"""Delivery status events feed the case timeline: notify's DeliveryStatusChanged becomes a Danish timeline entry
on the infohus case (no state change), once per event, shown by GET /api/v1/cases/{id}."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from contracts.envelope import Envelope
from contracts.events import DeliveryStatus, DeliveryStatusChanged, Destination, NotificationPurpose
from contracts.topics import topic_name
from devtools.devstack.broker import LocalBroker
from services.routing.bootstrap import bootstrap
from services.routing.service_layer.handlers import handle_delivery_status_changed
from services.routing.settings import RoutingSettings
from tests.conftest import Databases, common_settings
from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness
from tests.statements import recorded_statements
from tests.waiting import eventually

RECEIVED = "2026-03-03T10:00:00+01:00"
MUNICIPAL = ("mette", "tovholder_municipal")


def delivery(notification: dict[str, Any], status: DeliveryStatus, *, attempt: int = 1, minutes: int = 1,
             **fields: Any) -> Envelope[DeliveryStatusChanged]:
    """notify's event for a notification routing requested (taken from routing's outbox)."""
    payload = DeliveryStatusChanged(
        notification_id=notification["notification_id"], concern_id=notification["concern_id"],
        reference=notification["reference"], destination=Destination(notification["destination"]),
        purpose=NotificationPurpose(notification["purpose"]), status=status, attempt=attempt,
        occurred_at=datetime.fromisoformat(RECEIVED) + timedelta(minutes=minutes),
        infohus_case_id=fields.pop("infohus_case_id", notification["infohus_case_id"]),
        underretning_id=notification["underretning_id"], **fields)
    return Envelope.wrap(payload, producer="notify", correlation_id=payload.concern_id)


async def requested(routing: RoutingHarness, destination: str) -> dict[str, Any]:
    [notification] = [n for n in await routing.events("NotificationRequested") if n["destination"] == destination]
    return notification


async def case_view(routing: RoutingHarness, case_id: str) -> dict[str, Any]:
    async with routing.client(*MUNICIPAL) as client:
        response = await client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def deliveries(routing: RoutingHarness, case_id: str) -> list[dict[str, Any]]:
    return [e for e in (await case_view(routing, case_id))["timeline"] if e["action"] == "DELIVERY_STATUS"]


async def test_statuses_are_appended_to_the_named_case_without_changing_it(routing: RoutingHarness) -> None:
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(reporter="PROF_PUBLIC", subjects=[person(MINOR)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    before = await case_view(routing, case_id)
    mail = await requested(routing, "UNDERRETNING")
    handle = routing.container.on_delivery_status_changed
    await handle(delivery(mail, DeliveryStatus.QUEUED))
    await handle(delivery(mail, DeliveryStatus.RETRYING, minutes=2, detail="SMTP 451 ved DATA",
                          next_attempt_at=datetime.fromisoformat(RECEIVED) + timedelta(minutes=5)))
    await handle(delivery(mail, DeliveryStatus.SENT, attempt=2, minutes=5, message_id="<m1@infohus.ishoj.dk>"))

    after = await case_view(routing, case_id)
    assert (after["state"], after["version"]) == (before["state"], before["version"])  # no change to the case
    entries = [e for e in after["timeline"] if e["action"] == "DELIVERY_STATUS"]
    assert [e["details"]["status"] for e in entries] == ["QUEUED", "RETRYING", "SENT"]
    assert [e["details"]["text"] for e in entries] == [
        "Mail til Underretningspostkassen (UNDERRETNING): sat i kø til afsendelse, forsøg 1.",
        "Mail til Underretningspostkassen (UNDERRETNING): mislykkedes og forsøges igen, forsøg 1. "
        "Årsag: SMTP 451 ved DATA.",
        "Mail til Underretningspostkassen (UNDERRETNING): sendt (modtaget af mailserveren), forsøg 2. "
        "Message-ID: <m1@infohus.ishoj.dk>."]
    assert all(e["from_state"] == e["to_state"] == "RECEIVED" and e["actor"] == "system:notify" for e in entries)
    assert [datetime.fromisoformat(e["at"]) for e in entries] == [
        datetime.fromisoformat(RECEIVED) + timedelta(minutes=m) for m in (1, 2, 5)]
    assert entries[2]["details"]["notification_id"] == mail["notification_id"]
    assert entries[2]["details"]["underretning_id"] == mail["underretning_id"]
    # The view's delivery status per notification: the latest one.
    assert after["deliveries"] == [{
        "notification_id": mail["notification_id"], "destination": "UNDERRETNING", "purpose": "NEW_CASE",
        "status": "SENT", "attempt": 2, "at": entries[2]["at"]}]
    # A timeline note of another service: nothing for audit's case events.
    assert [t["action"] for t in await routing.events("CaseTransitioned")] == []


async def test_without_a_case_id_every_case_of_the_concern_gets_it(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT), person(ADULT)]), RECEIVED)
    case_ids = await routing.case_ids(concern_id)
    assert len(case_ids) == 2
    mail = await requested(routing, "INFOHUS_TK")
    written = await handle_delivery_status_changed(
        delivery(mail, DeliveryStatus.DEAD_LETTERED, attempt=5, infohus_case_id=None,
                 detail="SMTP 550 <tk@ishoj.dk> afvist"),
        uow=routing.container.unit_of_work(), config=routing.container.config)
    assert written == 2
    for case_id in case_ids:
        [entry] = await deliveries(routing, case_id)
        assert entry["details"]["detail"] == "SMTP 550 <[adresse fjernet]> afvist"
        assert "ikke leveret (opgivet), forsøg 5" in entry["details"]["text"]


async def test_a_duplicate_and_an_unknown_case_record_nothing(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    mail = await requested(routing, "INFOHUS_TK")
    sent = delivery(mail, DeliveryStatus.SENT, message_id="<m2@infohus.ishoj.dk>")
    uow, config = routing.container.unit_of_work, routing.container.config
    assert await handle_delivery_status_changed(sent, uow=uow(), config=config) == 1
    assert await handle_delivery_status_changed(sent, uow=uow(), config=config) == 0  # redelivered: already processed
    assert len(await deliveries(routing, case_id)) == 1

    unknown = delivery({**mail, "concern_id": str(uuid4())}, DeliveryStatus.SENT, infohus_case_id=uuid4())
    assert await handle_delivery_status_changed(unknown, uow=uow(), config=config) == 0  # acknowledged, not retried
    async with uow() as work:
        assert await work.inbox.seen(unknown.event_id)
    assert len(await deliveries(routing, case_id)) == 1


# --- end to end on the real broker ------------------------------------------------------------------


@pytest.fixture
async def routing_on_broker(kafka: LocalBroker, databases: Databases, unique: str) -> AsyncIterator[RoutingHarness]:
    settings = RoutingSettings(**common_settings(kafka.bootstrap_servers, unique), **databases.for_service("routing"))
    container = bootstrap(settings)
    await container.runtime.migrate()
    harness = RoutingHarness(container)
    container.clock = lambda: harness.now
    await container.runtime.start()
    try:
        await asyncio.wait_for(container.runtime.broker_connected.wait(), 60)
        yield harness
    finally:
        await container.runtime.stop()
        await container.runtime.engine.dispose()


@pytest.mark.slow
async def test_end_to_end_on_the_broker_and_a_redelivered_duplicate_adds_nothing(
        routing_on_broker: RoutingHarness) -> None:
    routing = routing_on_broker
    routing.now = datetime.fromisoformat(RECEIVED)
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT)]), RECEIVED)
    [case_id] = await routing.case_ids(concern_id)
    mail = await requested(routing, "INFOHUS_TK")
    broker, kafka = routing.container.runtime.broker, routing.container.settings.kafka
    topic = topic_name(DeliveryStatusChanged, kafka.topic_prefix)

    async def publish(envelope: Envelope[DeliveryStatusChanged]) -> None:
        await broker.publish(envelope.model_dump_json().encode(), topic, key=str(concern_id).encode())

    retrying = delivery(mail, DeliveryStatus.RETRYING, detail="SMTP 421 forbindelse afbrudt")
    await publish(retrying)

    async def statuses() -> list[str]:
        return [e["details"]["status"] for e in await deliveries(routing, case_id)]

    assert await eventually(statuses) == ["RETRYING"]
    await publish(retrying)  # redelivered (same event id) ...
    sent = delivery(mail, DeliveryStatus.SENT, attempt=2, minutes=3, message_id="<m3@infohus.ishoj.dk>")
    await publish(sent)  # ... and, behind it on the same partition, the next status

    async def after_sent() -> list[str] | None:
        found = await statuses()
        return found if "SENT" in found else None

    assert await eventually(after_sent) == ["RETRYING", "SENT"]
    async with routing.container.unit_of_work() as uow:
        assert await uow.inbox.seen(retrying.event_id) and await uow.inbox.seen(sent.event_id)
    [entry] = [e for e in await deliveries(routing, case_id) if e["details"]["status"] == "SENT"]
    assert entry["details"]["message_id"] == "<m3@infohus.ishoj.dk>"
    assert UUID(entry["details"]["notification_id"]) == UUID(mail["notification_id"])


async def test_a_status_reads_no_case_and_writes_its_entries_with_one_statement(routing: RoutingHarness) -> None:
    concern_id = await routing.submit(concern_body(subjects=[person(ADULT), person(ADULT)]), RECEIVED)
    mail = await requested(routing, "INFOHUS_TK")
    engine = routing.container.runtime.engine
    with (recorded_statements(engine, "SELECT") as reads,
          recorded_statements(engine, "INSERT INTO case_timeline") as writes):
        written = await handle_delivery_status_changed(delivery(mail, DeliveryStatus.SENT, infohus_case_id=None),
                                                       uow=routing.container.unit_of_work(),
                                                       config=routing.container.config)
    assert written == 2 and len(writes) == 1  # both cases of the concern, in one INSERT … SELECT
    assert not [r for r in reads if "infohus_cases" in r]
    for case_id in await routing.case_ids(concern_id):
        [entry] = await deliveries(routing, case_id)
        assert entry["from_state"] == entry["to_state"] == "RECEIVED"
