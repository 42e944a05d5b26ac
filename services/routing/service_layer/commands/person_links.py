"""A tovholder links a concern to a case as "samme person", or unlinks it, with a reason; both are on the
timeline of every case they touch and published as CaseTransitioned (``domain/person_links.py``).

Linking moves the concern's underretninger, tasks and clocks to the case; a case the concern had of its own
is closed as a duplicate (its triage clock stops), with whatever had joined it. Unlinking opens a case of
the concern's own again (triage due from now, mailed to the infohus mailbox) and moves its records there.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4, uuid5

from pydantic import BaseModel, ConfigDict

from contracts.events import CaseOpened, Destination, Priority
from infohus.kit.auth.roles import Permission
from infohus.kit.telemetry import current_trace_id
from rules.decision_table import triage_due_at
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.case import CaseState, CloseReason, InfohusCase
from services.routing.domain.casework import new_case_notification
from services.routing.domain.classification import current, subject_bands
from services.routing.domain.clocks import ClockKind, clock_id, triage_clock
from services.routing.domain.errors import InvalidCommand, NotFound
from services.routing.domain.person_links import Match, Membership
from services.routing.domain.retention import checked_reason
from services.routing.service_layer.commands.shared import facts_of
from services.routing.service_layer.common import case_for, publish, require, save_case
from services.routing.service_layer.deadlines import stop_clock
from services.routing.service_layer.handlers import RoutingDeps


class PersonLinkResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: UUID
    concern_id: UUID
    reference: str
    subject_index: int
    closed_case_id: UUID | None = None
    """Linking: the case the concern had of its own, now closed as a duplicate."""
    new_case_id: UUID | None = None
    """Unlinking: the case the concern has of its own again."""


async def _concern_by_reference(uow: RoutingUnitOfWork, reference: str) -> UUID:
    """The concern a reference names; a near duplicate's reference names the concern it supplements."""
    found = await uow.person_links.concerns_by_reference(reference.strip())
    if not found:
        raise NotFound("Referencen passer ikke på nogen henvendelse / no concern with that reference")
    facts = await facts_of(uow, UUID(found[0]))
    return facts.duplicate_of or facts.concern_id


async def link_person(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, *, reference: str, subject_index: int,
                      reason: str, now: datetime, deps: RoutingDeps) -> PersonLinkResult:
    require(actor, Permission.CASE_TRANSITION)
    reason = checked_reason(reason)
    async with uow:
        case = await case_for(uow, case_id, actor)
        if case.state is CaseState.CLOSED:
            raise InvalidCommand("Sagen er lukket; en lukket sag får ikke flere henvendelser / the case is closed")
        concern_id = await _concern_by_reference(uow, reference)
        facts = await facts_of(uow, concern_id)
        person = facts.person(f"subjects[{subject_index}]")
        if person is None:
            raise InvalidCommand(f"Henvendelsen nævner ingen person nr. {subject_index + 1} / no such subject")
        if concern_id == case.concern_id and subject_index == case.subject_index:
            raise InvalidCommand("Henvendelsen er den, sagen blev oprettet på / the concern opened this case")
        if await uow.person_links.active_of_concern(concern_id, subject_index) is not None:
            raise InvalidCommand("Henvendelsen er allerede knyttet til en sag; fjern den derfra først / "
                                 "the concern has already joined a case; unlink it there first")
        closed = await _close_own_case(uow, case, concern_id, subject_index, actor, reason=reason, now=now,
                                       deps=deps)
        await uow.person_links.add(Membership(
            link_id=uuid4(), case_id=case_id, concern_id=concern_id, subject_index=subject_index,
            person_id=person.person_id, match=Match.MANUAL, linked_at=now, linked_by=actor.user_id, reason=reason))
        case.note(actor, now, "PERSON_LINKED", {
            "concern_id": str(concern_id), "reference": facts.reference, "subject_index": subject_index,
            "reason": reason, "closed_case_id": None if closed is None else str(closed)})
        await save_case(uow, case)
        await uow.commit()
    return PersonLinkResult(case_id=case_id, concern_id=concern_id, reference=facts.reference,
                            subject_index=subject_index, closed_case_id=closed)


async def _close_own_case(uow: RoutingUnitOfWork, case: InfohusCase, concern_id: UUID, subject_index: int,
                          actor: Actor, *, reason: str, now: datetime, deps: RoutingDeps) -> UUID | None:
    """Close the concern's own open case as a duplicate of ``case`` and move what it holds there."""
    own_id = await uow.person_links.own_open_case(concern_id, subject_index)
    if own_id is None:
        return None
    own = await case_for(uow, own_id, actor)
    for member in await uow.person_links.of_case(own_id):  # what had joined it joins the person's case
        if not member.active:
            continue
        await uow.person_links.end(member.link_id, at=now, by=actor.user_id, reason=reason)
        await uow.person_links.add(Membership(
            link_id=uuid4(), case_id=case.case_id, concern_id=member.concern_id,
            subject_index=member.subject_index, person_id=member.person_id, match=Match.MANUAL, linked_at=now,
            linked_by=actor.user_id, reason=reason))
        await uow.person_links.repoint(member.concern_id, from_case=own_id, to_case=case.case_id)
    await uow.person_links.repoint(concern_id, from_case=own_id, to_case=case.case_id)
    own.note(actor, now, "JOINED_CASE", {"case_id": str(case.case_id), "reference": case.reference,
                                         "reason": reason})
    own.close(actor, now, CloseReason.DUPLICATE)
    await stop_clock(uow, clock_id(own_id, ClockKind.TRIAGE), now, "JOINED_OTHER_CASE", deps.config)
    await save_case(uow, own)
    return own_id


async def unlink_person(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, *, concern_id: UUID,
                        subject_index: int, reason: str, now: datetime, deps: RoutingDeps) -> PersonLinkResult:
    require(actor, Permission.CASE_TRANSITION)
    reason = checked_reason(reason)
    config = deps.config
    async with uow:
        case = await case_for(uow, case_id, actor)
        member = await uow.person_links.active_of_concern(concern_id, subject_index)
        if member is None or member.case_id != case_id:
            raise InvalidCommand("Henvendelsen hører ikke til sagen som knyttet henvendelse / "
                                 "the concern has not joined this case")
        facts = await facts_of(uow, concern_id)
        decision = await uow.decisions.get(concern_id)
        assert decision is not None  # written with the facts
        await uow.person_links.end(member.link_id, at=now, by=actor.user_id, reason=reason)
        priority = Priority(decision.priority)
        due = triage_due_at(now, priority, config)
        own = InfohusCase.open(
            case_id=uuid4(), concern_id=concern_id, reference=facts.reference, subject_index=subject_index,
            person_id=member.person_id, group_id=uuid5(concern_id, "group"), priority=priority, triage_due_at=due,
            flags=tuple(decision.flags), opened_at=now, municipality=case.municipality)
        own.note(actor, now, "UNLINKED_FROM_CASE", {"case_id": str(case_id), "reference": case.reference,
                                                    "reason": reason})
        await uow.cases.add(own, trace_id=current_trace_id())
        await uow.clocks.add_all([triage_clock(case_id=own.case_id, concern_id=concern_id, received_at=now,
                                               due_at=due, fraction=config.triage_sla.warning_fraction)])
        await uow.person_links.repoint(concern_id, from_case=case_id, to_case=own.case_id)
        case.note(actor, now, "PERSON_UNLINKED", {
            "concern_id": str(concern_id), "reference": facts.reference, "subject_index": subject_index,
            "reason": reason, "new_case_id": str(own.case_id)})
        await save_case(uow, case)
        underretninger = [u for u in await uow.underretninger.for_concern(concern_id) if u.case_id == own.case_id]
        person = facts.person(f"subjects[{subject_index}]")
        await publish(uow, CaseOpened(
            concern_id=concern_id, reference=facts.reference, infohus_case_id=own.case_id,
            subject_index=subject_index, priority=priority, age_bands=list(subject_bands(facts)),
            triage_due_at=due, underretning_ids=[u.underretning_id for u in underretninger],
            decision_id=uuid5(concern_id, "decision"), config_version=decision.config_version,
            subject_minor_possible=None if person is None else person.minor_possible,
            reporter_anonymous=facts.reporter_anonymous, subject_person_id=member.person_id),
            concern_id=concern_id)
        await publish(uow, new_case_notification(facts, current(own, facts), own.case_id, underretninger,
                                                 Destination.INFOHUS_TK, now, key=f":unlinked:{own.case_id}"),
                      concern_id=concern_id)
        await uow.commit()
    return PersonLinkResult(case_id=case_id, concern_id=concern_id, reference=facts.reference,
                            subject_index=subject_index, new_case_id=own.case_id)
