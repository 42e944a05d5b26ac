"""Helpers the routing handlers and commands share: wrapping events and saving a case with its events."""

from __future__ import annotations

from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from contracts.events import CaseTransitioned
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.case import InfohusCase

PRODUCER = "routing"


async def publish(uow: RoutingUnitOfWork, payload: EventPayload, *, concern_id: UUID,
                  causation_id: UUID | None = None) -> None:
    await uow.outbox.add(Envelope.wrap(payload, producer=PRODUCER, correlation_id=concern_id,
                                       causation_id=causation_id))


async def save_case(uow: RoutingUnitOfWork, case: InfohusCase, *, causation_id: UUID | None = None) -> None:
    """Save the case (optimistically) and publish one CaseTransitioned per new timeline entry."""
    entries = list(case.new_entries)
    await uow.routing.save_case(case)
    for entry in entries:
        await publish(uow, CaseTransitioned(
            concern_id=case.concern_id, reference=case.reference, infohus_case_id=case.case_id,
            action=entry.action, from_state=entry.from_state, to_state=entry.to_state, actor=entry.actor,
            actor_role=entry.actor_role, at=entry.at), concern_id=case.concern_id, causation_id=causation_id)
