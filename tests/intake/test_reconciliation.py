"""Reconciliation with routing (services/intake/service_layer/reconcile.py), on SQLite and PostgreSQL: an
accepted concern routing has not acknowledged is sent to it again, from the outbox, until it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from contracts.concern import ConcernIn
from contracts.envelope import Envelope
from contracts.events import ConcernRouted
from services.intake.adapters.orm import concern_routing, tables
from tests.intake.builders import concern_body
from tests.intake.conftest import IntakeUnderTest

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


async def submitted(intake: IntakeUnderTest) -> list[dict[str, Any]]:
    """The ConcernSubmitted rows in intake's outbox, oldest first: event id, causation and concern."""
    outbox = tables.outbox
    async with intake.container.runtime.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload).where(outbox.c.event_type == "ConcernSubmitted")
                                      .order_by(outbox.c.created_at))).scalars().all()
    return [json.loads(row) for row in rows]


async def accept(intake: IntakeUnderTest, at: datetime) -> UUID:
    intake.container.clock = lambda: at
    receipt = await intake.container.submit(ConcernIn.model_validate(concern_body()))
    [concern_id] = [UUID(e["payload"]["concern_id"]) for e in await submitted(intake)
                    if e["payload"]["reference"] == receipt.reference and e["causation_id"] is None]
    return concern_id


def at(moment: datetime, intake: IntakeUnderTest) -> None:
    intake.container.clock = lambda: moment


async def test_an_unacknowledged_concern_is_asked_about_again_until_routing_acknowledges_it(
        intake: IntakeUnderTest) -> None:
    after = timedelta(seconds=intake.container.settings.reconcile_after_s)
    concern_id = await accept(intake, T0)
    reconciliation = intake.container.reconciliation

    at(T0 + after - timedelta(seconds=1), intake)
    assert (await reconciliation.run_once()).asked_again == 0  # routing has had too little time
    at(T0 + after, intake)
    assert (await reconciliation.run_once()).asked_again == 1
    first, copy = await submitted(intake)
    assert copy["event_id"] != first["event_id"] and copy["causation_id"] == first["event_id"]
    assert copy["payload"] == first["payload"] and copy["correlation_id"] == str(concern_id)
    assert await intake.count(tables.outbox) == 2  # the copy goes out like any event: the relay sends it

    assert (await reconciliation.run_once()).asked_again == 0  # asked just now: routing gets its time again
    at(T0 + 2 * after, intake)
    assert (await reconciliation.run_once()).asked_again == 1
    at(T0 + 4 * after - timedelta(seconds=1), intake)
    assert (await reconciliation.run_once()).asked_again == 0  # each wait twice the one before
    at(T0 + 4 * after, intake)
    assert (await reconciliation.run_once()).asked_again == 1
    [row] = await intake.rows(concern_routing)
    assert row["times_asked_again"] == 3 and row["routed_at"] is None

    routed = Envelope.wrap(ConcernRouted(concern_id=concern_id, reference=first["payload"]["reference"],
                                         routed_at=T0 + 4 * after), producer="routing", correlation_id=concern_id)
    await reconciliation.acknowledge(routed)
    await reconciliation.acknowledge(routed)  # redelivered: changes nothing
    at(T0 + 100 * after, intake)
    assert (await reconciliation.run_once()).asked_again == 0
    assert len(await submitted(intake)) == 4
    [row] = await intake.rows(concern_routing)
    assert row["routed_at"] is not None


async def test_acknowledged_concerns_and_those_beyond_the_look_back_are_left_alone(intake: IntakeUnderTest) -> None:
    settings = intake.container.settings
    old = await accept(intake, T0)
    acknowledged = await accept(intake, T0 + timedelta(hours=settings.reconcile_lookback_hours))
    late = Envelope.wrap(ConcernRouted(concern_id=acknowledged, reference="IH-ack", routed_at=T0),
                         producer="routing", correlation_id=acknowledged)
    await intake.container.reconciliation.acknowledge(late)
    lost = await accept(intake, T0 + timedelta(hours=settings.reconcile_lookback_hours, minutes=1))

    at(T0 + timedelta(hours=settings.reconcile_lookback_hours, minutes=30), intake)
    result = await intake.container.reconciliation.run_once()
    assert result.asked_again == 1
    copies = [e for e in await submitted(intake) if e["causation_id"] is not None]
    assert [e["payload"]["concern_id"] for e in copies] == [str(lost)]
    assert str(old) not in {e["payload"]["concern_id"] for e in copies}


async def test_a_round_works_through_more_concerns_than_a_page(intake: IntakeUnderTest) -> None:
    intake.container.settings.reconcile_page_size = 2
    accepted = {await accept(intake, T0 + timedelta(seconds=n)) for n in range(5)}
    at(T0 + timedelta(hours=1), intake)
    assert (await intake.container.reconciliation.run_once()).asked_again == 5
    copies = [e for e in await submitted(intake) if e["causation_id"] is not None]
    assert {UUID(e["payload"]["concern_id"]) for e in copies} == accepted


async def test_an_acknowledgement_for_an_unknown_concern_is_kept_harmlessly(intake: IntakeUnderTest) -> None:
    stranger = uuid4()
    await intake.container.reconciliation.acknowledge(Envelope.wrap(
        ConcernRouted(concern_id=stranger, reference="IH-x", routed_at=T0), producer="routing",
        correlation_id=stranger))
    assert (await intake.container.reconciliation.run_once()).asked_again == 0
