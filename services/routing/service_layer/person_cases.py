"""A concern about a person who already has an open infohus case joins that case (``domain/person_links.py``):
the part of routing's handler that finds the case and records the join."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from contracts.events import ConcernSubmitted, Priority
from rules.config import MunicipalityConfig
from rules.decision import Decision
from rules.decision_table import triage_due_at
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import SYSTEM, Actor
from services.routing.domain.case import InfohusCase
from services.routing.domain.casework import CasePlan
from services.routing.domain.clocks import ClockKind, clock_id, warn_at
from services.routing.domain.facts import ConcernFacts
from services.routing.domain.person_links import Match, Membership, join_existing, name_dob_key
from services.routing.service_layer.common import save_case


async def record_name_keys(uow: RoutingUnitOfWork, event: ConcernSubmitted, facts: ConcernFacts,
                           key: bytes) -> None:
    """The keyed hash of each subject's name and date of birth, by person id (never the name)."""
    keys = {}
    for i, subject in enumerate(event.concern.subjects):
        person, found = facts.person(f"subjects[{i}]"), name_dob_key(subject, key)
        if person is not None and found is not None:
            keys[person.person_id] = found
    await uow.person_links.add_name_keys(event.concern_id, keys)


async def join_open_cases(uow: RoutingUnitOfWork, plan: CasePlan, event: ConcernSubmitted, decision: Decision, *,
                          key: bytes, config: MunicipalityConfig, now: datetime, causation_id: UUID) -> None:
    """Each subject who has an open case joins it instead of getting a case of their own (``plan`` is rewritten);
    the case's timeline says which concern joined and how it was recognised, and an urgent concern raises the
    case's priority (and brings its triage deadline forward while triage is awaited)."""
    joined: dict[UUID, UUID] = {}
    matches: list[tuple[InfohusCase, Match]] = []
    for planned in plan.cases:
        person = plan.facts.person(planned.subject_path)
        subject = event.concern.subjects[planned.subject_index]
        found = await uow.person_links.open_case_of(
            cpr_hmac=None if person is None else person.cpr_hmac, name_key=name_dob_key(subject, key),
            municipality=config.municipality_code, excluding=joined.values())
        if found is None:
            continue
        case_id, match = found
        existing = await uow.cases.get(case_id)
        if existing is None:  # pragma: no cover - found in the same transaction
            continue
        joined[planned.case_id] = case_id
        matches.append((existing, match))
        await uow.person_links.add(Membership(
            link_id=uuid5(event.concern_id, f"joined:{planned.subject_index}"), case_id=case_id,
            concern_id=event.concern_id, subject_index=planned.subject_index, person_id=planned.person_id,
            match=match, linked_at=now, linked_by=SYSTEM.user_id))
    join_existing(plan, joined)
    for case, match in matches:
        case.note(SYSTEM, now, "CONCERN_JOINED", {
            "concern_id": str(event.concern_id), "reference": event.reference, "match": match.value,
            "received_at": event.received_at.isoformat()})
        await raise_priority(uow, case, Priority(decision.priority), received_at=event.received_at, config=config,
                             now=now, actor=SYSTEM)
        await save_case(uow, case, causation_id=causation_id)


async def raise_priority(uow: RoutingUnitOfWork, case: InfohusCase, priority: Priority, *, received_at: datetime,
                         config: MunicipalityConfig, now: datetime, actor: Actor) -> None:
    """A more urgent concern about the person makes the case more urgent (never less); while triage is awaited
    its deadline moves earlier to what the concern's own would be, and the triage clock with it."""
    if priority.value >= case.priority.value:
        return
    case.note(actor, now, "PRIORITY_RAISED", {"from": case.priority.value, "to": priority.value,
                                              "reason": "CONCERN_JOINED"})
    case.priority = priority
    if case.triage_complete:
        return
    due = triage_due_at(received_at, priority, config)
    case.move_triage_due(now, due, "CONCERN_JOINED")
    triage = await uow.clocks.get(clock_id(case.case_id, ClockKind.TRIAGE))
    if triage is not None and triage.running and due < triage.due_at:
        triage.due_at, triage.warn_at = due, warn_at(triage.started_at, due, config.triage_sla.warning_fraction)
        await uow.clocks.save(triage)
