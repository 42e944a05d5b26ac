"""The tovholder's disclosure commands: the decision on passing an acute concern to the police (R4), and the
forwarding of a concern to the competent municipality (R10); each is logged as a disclosure."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from rules.codes import DisclosureChannel
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.disclosures import (
    PoliceDisclosureDecision,
    forwarding,
    police_disclosure,
    record_id_for,
)
from services.routing.domain.entered_times import Earliest
from services.routing.domain.errors import InvalidCommand, TransitionNotAllowed
from services.routing.domain.tasks import TaskKind
from services.routing.service_layer.commands.results import DisclosureDecisionResult, ForwardingResult
from services.routing.service_layer.commands.shared import entered, facts_of, needed, received, task_of
from services.routing.service_layer.common import case_for, publish, save_case, save_underretning
from services.routing.service_layer.handlers import RoutingDeps
from services.routing.service_layer.read_side.views import task_view


async def decide_police_disclosure(uow: RoutingUnitOfWork, task_id: UUID, actor: Actor,
                                   decision: PoliceDisclosureDecision, *, decided_at: datetime | None,
                                   occurred_at: datetime | None, now: datetime,
                                   deps: RoutingDeps) -> DisclosureDecisionResult:
    """R4: the tovholder decides whether to pass an acute concern to the police; the decision is logged.

    Routing sends nothing: an approval records a disclosure the tovholder made (by phone, meeting or
    secure mail); a rejection is logged as DECISION_REJECTED, evidencing the necessity assessment.
    """
    decision.validate()
    async with uow:
        task = await task_of(uow, task_id, TaskKind.DISCLOSURE_PROPOSED, actor)
        task.check_actor(actor)
        facts = await facts_of(uow, task.concern_id)
        decided = entered(decided_at, "decided_at", received(facts), now=now, deps=deps)
        occurred = entered(occurred_at or decided, "occurred_at", Earliest(
            decided, da="beslutningen blev truffet", en="the decision (decided_at)"), now=now, deps=deps)
        case = await case_for(uow, needed(task.infohus_case_id), actor)
        record = police_disclosure(facts, decision, record_id=record_id_for(task.task_id, "police"), actor=actor,
                                   case_id=case.case_id, person_ids=list(task.details.get("person_ids") or
                                                                         [case.person_id]),
                                   decided_at=decided, occurred_at=occurred, system=deps.system)
        outcome = "APPROVED" if decision.approved else "REJECTED"
        task.complete(actor, now, outcome, {"legal_basis": decision.legal_basis.value,
                                            "disclosure_record_id": str(record.record_id)})
        await uow.tasks.save(task)
        case.note(actor, now, "DISCLOSURE_DECIDED", {"outcome": outcome, "legal_basis": decision.legal_basis.value,
                                                     "recipient": record.recipient_authority,
                                                     "disclosure_record_id": str(record.record_id)})
        await save_case(uow, case)
        await publish(uow, record, concern_id=task.concern_id)
        await uow.commit()
    return DisclosureDecisionResult(task=task_view(task), disclosure_record_id=record.record_id, kind=record.kind)


async def confirm_forwarding(uow: RoutingUnitOfWork, task_id: UUID, actor: Actor, *, recipient_municipality: str,
                             channel: DisclosureChannel, occurred_at: datetime | None, transport_ref: str | None,
                             complete: bool, now: datetime, deps: RoutingDeps) -> ForwardingResult:
    """R10: a tovholder confirms that the concern was forwarded to the competent municipality."""
    municipality = recipient_municipality.strip()
    if not municipality or len(municipality) > 100:
        raise InvalidCommand("name the municipality the concern was forwarded to")
    async with uow:
        task = await task_of(uow, task_id, TaskKind.JURISDICTION_REVIEW, actor)
        task.check_actor(actor)
        if task.state.value != "OPEN":
            raise TransitionNotAllowed("the forwarding task is already done")
        facts = await facts_of(uow, task.concern_id)
        occurred = entered(occurred_at, "occurred_at", received(facts), now=now, deps=deps)
        person_ids = [p["person_id"] for p in task.details.get("persons", [])] or [p.person_id for p in facts.persons]
        underretninger = [u for u in await uow.underretninger.for_concern(task.concern_id)
                          if u.person_id in person_ids]
        number = len(task.details.get("forwardings", [])) + 1
        record = forwarding(facts, record_id=record_id_for(task.task_id, f"forwarding:{number}"), actor=actor,
                            case_id=task.infohus_case_id,
                            underretning_id=underretninger[0].underretning_id if underretninger else None,
                            person_ids=person_ids, recipient_municipality=municipality, channel=channel,
                            occurred_at=occurred, decided_at=occurred, transport_ref=transport_ref, system=deps.system)
        task.add_detail("forwardings", {"to": municipality, "at": occurred.isoformat(),
                                        "disclosure_record_id": str(record.record_id), "by": actor.user_id,
                                        "by_role": actor.role_name})
        if complete:
            task.complete(actor, now, "FORWARDED")
        await uow.tasks.save(task)
        for u in underretninger:
            u.forwarded_to, u.forwarded_at = f"OTHER_MUNICIPALITY:{municipality}", occurred
            await save_underretning(uow, u, reference=facts.reference, at=now)
        if task.infohus_case_id is not None:
            case = await case_for(uow, task.infohus_case_id, actor)
            case.note(actor, now, "FORWARDED", {"to": record.recipient_authority, "legal_basis": record.legal_basis,
                                                "disclosure_record_id": str(record.record_id)})
            await save_case(uow, case)
        await publish(uow, record, concern_id=task.concern_id)
        await uow.commit()
    return ForwardingResult(task=task_view(task), disclosure_record_id=record.record_id,
                            legal_basis=record.legal_basis)
