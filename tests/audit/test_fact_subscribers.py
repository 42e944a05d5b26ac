"""On the real broker: audit's subscribers to routing's case and underretning events and notify's mail
events keep the facts, in whatever order the topics deliver them, and a redelivered event is applied once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from contracts.envelope import Envelope
from contracts.topics import topic_name
from services.audit.adapters.orm import tables
from services.audit.bootstrap import AuditContainer
from tests.audit.facts_builders import (
    RECEIVED,
    case_opened,
    case_transitioned,
    mail_dead_lettered,
    mail_sent,
    underretning,
)
from tests.waiting import eventually

pytestmark = pytest.mark.slow


async def test_fact_events_on_the_broker_become_facts_once(audit_on_broker: AuditContainer) -> None:
    audit, settings = audit_on_broker, audit_on_broker.settings
    closed = case_transitioned(1, "CLOSED", "CLOSED", RECEIVED + timedelta(days=3), from_state="OUT_OF_SCOPE")
    envelopes: list[Envelope[Any]] = [
        closed,  # before the case was opened: another topic, so no order between them anyway
        case_opened(1, underretninger=(11,)),
        underretning(11, case=1, updated=RECEIVED + timedelta(hours=2), state="ASSESSED",
                     assessed_at=RECEIVED + timedelta(hours=2)),
        underretning(11, case=1),  # older, arrives later
        mail_sent(21, "tk@ishoj.dk", concern=1),
        mail_dead_lettered(22, concern=1),
        # The same event again, as a producer retry might send it (altered here so that applying it
        # twice would show): the inbox skips it.
        closed.model_copy(update={"payload": closed.payload.model_copy(update={"at": RECEIVED})}),
        # Same key, so same partition, after the redelivery: once this is processed, so is that.
        case_transitioned(1, "NOTE", "CLOSED", RECEIVED + timedelta(days=4), from_state="CLOSED"),
    ]
    for envelope in envelopes:
        topic = topic_name(type(envelope.payload), settings.kafka.topic_prefix)
        await audit.runtime.broker.publish(envelope.model_dump_json().encode(), topic,
                                           key=str(envelope.correlation_id).encode())

    async def processed() -> int:
        async with audit.unit_of_work() as uow:
            return int((await uow.session.execute(select(func.count()).select_from(tables.inbox))).scalar_one())

    assert await eventually(lambda: _at_least(processed, 7)) >= 7
    async with audit.unit_of_work() as uow:
        case = await uow.facts.case(str(UUID(int=1)))
        report = await uow.facts.underretning(str(UUID(int=11)))
        mails = await uow.facts.mails(str(UUID(int=1)))
    assert case is not None and case["closed_at"] == "2026-03-05T09:00:00.000000Z" and case["minor_possible"]
    assert report is not None and report["state"] == "ASSESSED"
    assert sorted((m["outcome"], m["recipient_domain"]) for m in mails) == [
        ("DEAD_LETTERED", None), ("SENT", "ishoj.dk")]
    assert await processed() == 7  # eight messages, seven distinct events


async def _at_least(count: Any, expected: int) -> int:
    value = int(await count())
    return value if value >= expected else 0
