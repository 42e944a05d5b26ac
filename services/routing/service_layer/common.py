"""Helpers the routing handlers, commands and reads share: wrapping events, saving a case or an underretning
with its events, and the access checks (a permission; a case or underretning of the actor's municipalities)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from contracts.events import CaseTransitioned
from infohus.kit.auth.roles import Permission
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.case import InfohusCase
from services.routing.domain.casework import Underretning
from services.routing.domain.classification import Classification
from services.routing.domain.errors import NotFound, NotPermitted

PRODUCER = "routing"


async def publish(uow: RoutingUnitOfWork, payload: EventPayload, *, concern_id: UUID,
                  causation_id: UUID | None = None) -> None:
    await uow.outbox.add(Envelope.wrap(payload, producer=PRODUCER, correlation_id=concern_id,
                                       causation_id=causation_id))


async def save_case(uow: RoutingUnitOfWork, case: InfohusCase, *, causation_id: UUID | None = None,
                    reclassified: Classification | None = None) -> None:
    """Save the case (optimistically) and publish one CaseTransitioned per new timeline entry; after a
    correction (``reclassified``) each carries the classification of now."""
    entries = list(case.new_entries)
    await uow.cases.save(case)
    c = reclassified
    for entry in entries:
        await publish(uow, CaseTransitioned(
            concern_id=case.concern_id, reference=case.reference, infohus_case_id=case.case_id,
            action=entry.action, from_state=entry.from_state, to_state=entry.to_state, actor=entry.actor,
            actor_role=entry.actor_role, at=entry.at, priority=c.priority if c else None,
            age_bands=list(c.age_bands) if c else None, flags=list(c.flags) if c else None),
            concern_id=case.concern_id, causation_id=causation_id)


async def add_underretning(uow: RoutingUnitOfWork, underretning: Underretning, *, reference: str, at: datetime,
                           causation_id: UUID | None = None) -> None:
    """Register a new underretning and publish its UnderretningUpdated (state REGISTERED)."""
    await uow.underretninger.add(underretning)
    await publish_underretning(uow, underretning, reference=reference, at=at, causation_id=causation_id)


async def save_underretning(uow: RoutingUnitOfWork, underretning: Underretning, *, reference: str, at: datetime,
                            causation_id: UUID | None = None) -> None:
    """Save a changed underretning and publish its UnderretningUpdated in the same transaction."""
    await uow.underretninger.save(underretning)
    await publish_underretning(uow, underretning, reference=reference, at=at, causation_id=causation_id)


async def publish_underretning(uow: RoutingUnitOfWork, underretning: Underretning, *, reference: str,
                               at: datetime, causation_id: UUID | None = None) -> None:
    await publish(uow, underretning.updated_event(reference=reference, at=at), concern_id=underretning.concern_id,
                  causation_id=causation_id)


def require(actor: Actor, *permissions: Permission) -> None:
    if not any(actor.can(p) for p in permissions):
        raise NotPermitted(f"role {actor.role_name} may not do this")


# A case or underretning of a municipality the actor does not belong to is answered as if it did not exist.
async def case_for(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor) -> InfohusCase:
    """The case, if the actor's municipalities include its municipality."""
    case = await uow.cases.get(case_id)
    if case is None or not actor.sees(case.municipality):
        raise NotFound("no such case")
    return case


async def underretning_for(uow: RoutingUnitOfWork, underretning_id: UUID, actor: Actor) -> Underretning:
    """The underretning, if the actor's municipalities include its municipality."""
    u = await uow.underretninger.get(underretning_id)
    if u is None or not actor.sees(u.municipality):
        raise NotFound("no such underretning")
    return u
