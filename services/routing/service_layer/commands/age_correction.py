"""Correcting a person's age: the age re-assessed at the original receipt date, and the underretning that
was missing opened with the concern's original receipt time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid5

from contracts.events import Destination, Priority
from infohus.kit.auth.roles import Permission
from rules.age import AgeEvidence, assess_age
from rules.calendar import OfficeCalendar
from rules.decision_table import triage_due_at
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import SYSTEM, Actor
from services.routing.domain.case import InfohusCase
from services.routing.domain.casework import (
    Underretning,
    new_case_notification,
    underretning_after_age_correction,
    underretning_duties,
)
from services.routing.domain.classification import current, flags_after_age_correction
from services.routing.domain.clocks import ClockKind, clock_id, warn_at
from services.routing.domain.disclosures import internal_transfer
from services.routing.domain.errors import InvalidCommand
from services.routing.domain.facts import ConcernFacts, cpr_hmac, with_age
from services.routing.service_layer.commands.results import AgeCorrectionResult
from services.routing.service_layer.commands.shared import facts_of
from services.routing.service_layer.common import add_underretning, case_for, publish, require, save_case
from services.routing.service_layer.deadlines import emit_owed
from services.routing.service_layer.handlers import RoutingDeps


@dataclass(frozen=True)
class AgeCorrection:
    reason: str
    person: str | None = None  # "subjects[0]", "children_at_risk[1]"; default: the case's subject
    cpr: str | None = None
    date_of_birth: date | None = None
    stated_age: int | None = None


async def correct_age(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, correction: AgeCorrection, *,
                      now: datetime, deps: RoutingDeps) -> AgeCorrectionResult:
    """Re-assess a person's age at the original receipt date; open the underretning that was missing.

    The new underretning keeps the concern's original receipt time, so its 24-hour clock may already
    have run out: the breach is then reported at once. Nothing is ever moved later.
    """
    require(actor, Permission.CASE_TRANSITION)
    config = deps.config
    if correction.cpr is None and correction.date_of_birth is None and correction.stated_age is None:
        raise InvalidCommand("give a CPR number, a date of birth or an age")
    async with uow:
        case = await case_for(uow, case_id, actor)
        facts = await facts_of(uow, case.concern_id)
        path = correction.person or f"subjects[{case.subject_index}]"
        person = facts.person(path)
        if person is None:
            raise InvalidCommand(f"the concern names no person {path}")
        calendar = OfficeCalendar(config)
        assessment = assess_age(
            AgeEvidence(cpr=correction.cpr, date_of_birth=correction.date_of_birth, stated_age=correction.stated_age),
            calendar.local_date(facts.effective_received_at), transition_window_days=config.transition_window_days,
            feb29_policy=config.feb29_policy)
        updated = with_age(person, assessment, cpr_hmac(correction.cpr, deps.hmac_key) if correction.cpr else None)
        facts.replace_person(updated)
        await uow.facts.save(facts)
        case.note(actor, now, "AGE_CORRECTED", {
            "person": path, "from_band": person.age_band.value, "to_band": assessment.band.value,
            "source": assessment.source.value, "minor_possible": assessment.minor_possible,
            "reason": correction.reason})
        others = await _reclassify(uow, case, facts, actor, now=now)
        existing = await uow.underretninger.for_concern(case.concern_id)
        created: Underretning | None = None
        reported: list[str] = []
        if assessment.minor_possible and not any(u.subject == path for u in existing):
            created, reported = await _open_missing_underretning(uow, case, facts, updated.path, now=now, deps=deps)
        elif not assessment.minor_possible and any(u.subject == path for u in existing):
            # The underretning and its clocks stand: StraXen closes it; routing never stops a clock silently.
            case.note(actor, now, "UNDERRETNING_KEPT", {"person": path})
        for saved in (case, *(other for other in others if other.new_entries)):
            await save_case(uow, saved, reclassified=current(saved, facts))
        await uow.commit()
    return AgeCorrectionResult(person=path, from_band=person.age_band, to_band=assessment.band,
                               underretning_id=created.underretning_id if created else None,
                               received_at=created.received_at if created else None,
                               assessment_due_at=created.assessment_due_at if created else None,
                               deadline_events=reported)


async def _reclassify(uow: RoutingUnitOfWork, case: InfohusCase, facts: ConcernFacts, actor: Actor, *,
                      now: datetime) -> list[InfohusCase]:
    """The age flags recomputed on every case of the concern (they are the concern's); returns the other
    cases, to be saved with this one."""
    others = [c for c in [await uow.cases.get(i) for i in await uow.cases.ids_for_concern(case.concern_id)
                          if i != case.case_id] if c is not None]
    for each in (case, *others):
        each.reclassify(actor, now, flags=flags_after_age_correction(each.flags, facts), reason="AGE_CORRECTED")
    return others


async def _open_missing_underretning(uow: RoutingUnitOfWork, case: InfohusCase, facts: ConcernFacts, path: str, *,
                                     now: datetime, deps: RoutingDeps) -> tuple[Underretning, list[str]]:
    config = deps.config
    person = facts.person(path)
    assert person is not None
    underretning = underretning_after_age_correction(facts, person, case_id=case.case_id, config=config)
    clocks, tasks = underretning_duties(underretning, config, now=now, at_risk_from_start=False)
    await add_underretning(uow, underretning, reference=facts.reference, at=now)
    for task in tasks:
        await uow.tasks.add(task)
    await uow.clocks.add_all(clocks)
    late = now > underretning.assessment_due_at
    if case.priority is Priority.P2:  # R2: an underretning makes the concern at least P1
        due = triage_due_at(facts.effective_received_at, Priority.P1, config)
        case.note(SYSTEM, now, "PRIORITY_RAISED", {"from": "P2", "to": "P1", "reason": "MINOR_POSSIBLE"})
        case.priority = Priority.P1
        case.move_triage_due(now, due, "PRIORITY_RAISED")
        triage = await uow.clocks.get(clock_id(case.case_id, ClockKind.TRIAGE))
        if triage is not None and triage.running and due < triage.due_at:
            triage.due_at, triage.warn_at = due, warn_at(triage.started_at, due, config.triage_sla.warning_fraction)
            await uow.clocks.save(triage)
            clocks.append(triage)
    case.note(SYSTEM, now, "UNDERRETNING_REGISTERED", {
        "underretning_id": str(underretning.underretning_id), "person": path,
        "received_at": underretning.received_at.isoformat(),
        "assessment_due_at": underretning.assessment_due_at.isoformat(), "late": late})
    decision = await uow.decisions.get(case.concern_id)
    assert decision is not None
    await publish(uow, new_case_notification(facts, current(case, facts), case.case_id, [underretning],
                                             Destination.UNDERRETNING, now, key=f":{underretning.underretning_id}"),
                  concern_id=case.concern_id)
    await publish(uow, internal_transfer(
        facts, to_child_welfare=True,
        record_id=uuid5(case.concern_id, f"transfer:UNDERRETNING:{underretning.underretning_id}"),
        case_id=case.case_id, underretning_id=underretning.underretning_id, person_ids=[person.person_id],
        occurred_at=now, config_version=decision.config_version, system=deps.system), concern_id=case.concern_id)
    reported: list[str] = []
    for clock in clocks:
        reported += [k.value for k in await emit_owed(uow, clock, now, config)]
    return underretning, reported
