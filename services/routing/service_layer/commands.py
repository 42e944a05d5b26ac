"""The commands of the case API: each loads what it needs, lets the domain decide, and commits the
state change with its outbox events in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from contracts.events import Destination, Priority
from infohus.kit.auth.roles import Permission
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import SYSTEM, Actor
from services.routing.domain.age import AgeEvidence, assess_age
from services.routing.domain.calendar import OfficeCalendar
from services.routing.domain.case import (
    CaseState,
    CloseReason,
    InfohusCase,
    Recommendation,
    TriageOutcome,
)
from services.routing.domain.casework import (
    Underretning,
    new_case_notification,
    underretning_after_age_correction,
    underretning_duties,
)
from services.routing.domain.clocks import ClockKind, clock_id, warn_at
from services.routing.domain.disclosures import (
    DisclosureChannel,
    PoliceDisclosureDecision,
    forwarding,
    internal_transfer,
    police_disclosure,
    record_id_for,
)
from services.routing.domain.entered_times import Earliest, checked_due_date, checked_entered_time
from services.routing.domain.errors import InvalidCommand, NotFound, NotPermitted, TransitionNotAllowed
from services.routing.domain.facts import ConcernFacts, cpr_hmac, with_age
from services.routing.domain.receipt import ReceiptOutcome, checked_sent_at, request_mail
from services.routing.domain.rules import triage_due_at
from services.routing.domain.tasks import OrientationOutcome, Task, TaskKind
from services.routing.service_layer.common import (
    add_underretning,
    case_for,
    publish,
    save_case,
    save_underretning,
    underretning_for,
)
from services.routing.service_layer.deadlines import emit_owed, stop_clock
from services.routing.service_layer.handlers import RoutingDeps
from services.routing.service_layer.views import (
    ActionResult,
    AgeCorrectionResult,
    AssessmentResult,
    DisclosureDecisionResult,
    ForwardingResult,
    OrientationResult,
    ReceiptResult,
    TriageResult,
    task_view,
)


def require(actor: Actor, *permissions: Permission) -> None:
    if not any(actor.can(p) for p in permissions):
        raise NotPermitted(f"role {actor.role_name} may not do this")


async def _case(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor) -> InfohusCase:
    return await case_for(uow, case_id, actor)


async def _facts(uow: RoutingUnitOfWork, concern_id: UUID) -> ConcernFacts:
    facts = await uow.facts.get(concern_id)
    if facts is None:  # pragma: no cover - facts are written with the case
        raise NotFound("no facts for the case's concern")
    return facts


# --- the case lifecycle -------------------------------------------------------------------------------


async def sign_triage(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, outcome: TriageOutcome, *,
                      now: datetime, deps: RoutingDeps) -> TriageResult:
    require(actor, Permission.CASE_TRIAGE_MUNICIPAL, Permission.CASE_TRIAGE_POLICE)
    async with uow:
        case = await _case(uow, case_id, actor)
        completed = case.sign_triage(actor, outcome, now)
        await save_case(uow, case)
        if completed:
            await stop_clock(uow, clock_id(case_id, ClockKind.TRIAGE), now, "TRIAGE_COMPLETED", deps.config)
        await uow.commit()
    return TriageResult(state=case.state, triage_complete=completed, version=case.version,
                        awaiting=[r.value for r in case.awaiting()])


@dataclass(frozen=True)
class CaseAction:
    """One step of the lifecycle after triage; the HTTP layer builds it from the request body."""

    action: str
    analysis_needed: bool = False
    sources_consulted: tuple[str, ...] = ()
    meeting_at: datetime | None = None
    tool_version: str = ""
    dimensions_assessed: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    at_risk: bool = False
    summary_ref: str | None = None
    recommendations: tuple[Recommendation, ...] = ()
    to_authorities: tuple[str, ...] = ()
    follow_up_due: date | None = None
    note_ref: str | None = None
    reason: CloseReason | None = None
    hold_reason: str = ""
    note: str = ""


def _apply(case: InfohusCase, actor: Actor, at: datetime, a: CaseAction) -> None:
    steps: dict[str, Callable[[], None]] = {
        "START_SCREENING": lambda: case.start_screening(actor, at),
        "COMPLETE_SCREENING": lambda: case.complete_screening(
            actor, at, analysis_needed=a.analysis_needed, sources_consulted=list(a.sources_consulted)),
        "RECORD_ANALYSIS": lambda: case.record_analysis(
            actor, at, meeting_at=a.meeting_at or at, tool_version=a.tool_version,
            dimensions_assessed=list(a.dimensions_assessed), participants=list(a.participants)),
        "ISSUE_ASSESSMENT": lambda: case.issue_assessment(actor, at, at_risk=a.at_risk, summary_ref=a.summary_ref),
        "ISSUE_RECOMMENDATIONS": lambda: case.issue_recommendations(actor, at, list(a.recommendations)),
        "HAND_OVER": lambda: case.hand_over(actor, at, to_authorities=list(a.to_authorities)),
        "START_FOLLOW_UP": lambda: case.start_follow_up(actor, at, follow_up_due=_needed(a.follow_up_due)),
        "RECORD_FOLLOW_UP": lambda: case.record_follow_up(actor, at, note_ref=a.note_ref),
        "CLOSE": lambda: case.close(actor, at, _needed(a.reason)),
        "PUT_ON_HOLD": lambda: case.put_on_hold(actor, at, reason=a.hold_reason),
        "RESUME": lambda: case.resume(actor, at),
        "ADD_NOTE": lambda: case.add_note(actor, at, a.note),
    }
    if a.action not in steps:
        raise InvalidCommand(f"unknown action {a.action}")
    steps[a.action]()


def _bounded(action: CaseAction, case: InfohusCase, *, now: datetime, deps: RoutingDeps) -> CaseAction:
    """The action with the times the person entered checked: an analysis meeting held after the case was opened
    and not in the future, a follow-up due today or later (the office's date)."""
    bounded = action
    if action.action == "RECORD_ANALYSIS" and action.meeting_at is not None:
        meeting = checked_entered_time(action.meeting_at, field="meeting_at", now=now, skew=deps.entered_time_skew,
                                       earliest=Earliest(case.opened_at, da="sagen blev oprettet", en="the case"))
        bounded = replace(bounded, meeting_at=meeting)
    if action.action == "START_FOLLOW_UP" and action.follow_up_due is not None:
        checked_due_date(action.follow_up_due, field="follow_up_due", today=OfficeCalendar(deps.config).local_date(now))
    return bounded


def _needed(value: Any) -> Any:
    if value is None:
        raise InvalidCommand("a required field is missing for this action")
    return value


async def act_on_case(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, action: CaseAction, *,
                      now: datetime, deps: RoutingDeps, expected_version: int | None = None) -> ActionResult:
    require(actor, Permission.CASE_TRANSITION)
    async with uow:
        case = await _case(uow, case_id, actor)
        if expected_version is not None and expected_version != case.version:
            raise TransitionNotAllowed("the case has changed since you read it; reload it")
        _apply(case, actor, now, _bounded(action, case, now=now, deps=deps))
        await save_case(uow, case)
        if case.state is CaseState.CLOSED:  # closed before triage finished: the SLA clock stops, late or not
            await stop_clock(uow, clock_id(case_id, ClockKind.TRIAGE), now, "CASE_CLOSED", deps.config)
        await uow.commit()
    return ActionResult(state=case.state, version=case.version)


# --- age correction -----------------------------------------------------------------------------------


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
        case = await _case(uow, case_id, actor)
        facts = await _facts(uow, case.concern_id)
        path = correction.person or f"subjects[{case.subject_index}]"
        person = facts.person(path)
        if person is None:
            raise InvalidCommand(f"the concern names no person {path}")
        calendar = OfficeCalendar(config)
        assessment = assess_age(
            AgeEvidence(cpr=correction.cpr, date_of_birth=correction.date_of_birth, stated_age=correction.stated_age),
            calendar.local_date(facts.effective_received_at), transition_window_days=config.transition_window_days,
            feb29_policy=config.feb29_policy)
        updated = with_age(person, assessment.band, assessment.minor_possible,
                           cpr_hmac(correction.cpr, deps.hmac_key) if correction.cpr else None)
        facts.replace_person(updated)
        await uow.facts.save(facts)
        case.note(actor, now, "AGE_CORRECTED", {
            "person": path, "from_band": person.age_band.value, "to_band": assessment.band.value,
            "source": assessment.source.value, "minor_possible": assessment.minor_possible,
            "reason": correction.reason})
        existing = await uow.underretninger.for_concern(case.concern_id)
        created: Underretning | None = None
        reported: list[str] = []
        if assessment.minor_possible and not any(u.subject == path for u in existing):
            created, reported = await _open_missing_underretning(uow, case, facts, updated.path, now=now, deps=deps)
        elif not assessment.minor_possible and any(u.subject == path for u in existing):
            # The underretning and its clocks stand: StraXen closes it; routing never stops a clock silently.
            case.note(actor, now, "UNDERRETNING_KEPT", {"person": path})
        await save_case(uow, case)
        await uow.commit()
    return AgeCorrectionResult(person=path, from_band=person.age_band, to_band=assessment.band,
                               underretning_id=created.underretning_id if created else None,
                               received_at=created.received_at if created else None,
                               assessment_due_at=created.assessment_due_at if created else None,
                               deadline_events=reported)


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
    bands = [p.age_band for p in facts.persons if p.path.startswith("subjects[")]
    current = decision.model_copy(update={"priority": case.priority, "infohus_triage_due": case.triage_due_at,
                                          "age_bands": tuple(bands)})
    await publish(uow, new_case_notification(facts, current, case.case_id, [underretning], Destination.UNDERRETNING,
                                             now, key=f":{underretning.underretning_id}"), concern_id=case.concern_id)
    await publish(uow, internal_transfer(
        facts, to_child_welfare=True,
        record_id=uuid5(case.concern_id, f"transfer:UNDERRETNING:{underretning.underretning_id}"),
        case_id=case.case_id, underretning_id=underretning.underretning_id, person_ids=[person.person_id],
        occurred_at=now, config_version=decision.config_version, system=deps.system), concern_id=case.concern_id)
    reported: list[str] = []
    for clock in clocks:
        reported += [k.value for k in await emit_owed(uow, clock, now, config)]
    return underretning, reported


# --- underretninger (StraXen) ---------------------------------------------------------------------


async def assess_underretning(uow: RoutingUnitOfWork, underretning_id: UUID, actor: Actor, *,
                              acute_measures_needed: bool, now: datetime, deps: RoutingDeps,
                              note: str | None = None) -> AssessmentResult:
    async with uow:
        u = await underretning_for(uow, underretning_id, actor)
        u.assess(actor, now, acute_measures_needed=acute_measures_needed, note=note)
        await save_underretning(uow, u, reference=(await _facts(uow, u.concern_id)).reference, at=now)
        reported = await stop_clock(uow, clock_id(underretning_id, ClockKind.ASSESSMENT), now, "ASSESSED", deps.config)
        await uow.commit()
    return AssessmentResult(state=u.state, assessed_at=u.assessed_at, late=u.assessment_late,
                            deadline_events=[k.value for k in reported])


# --- tasks ------------------------------------------------------------------------------------------


async def _task(uow: RoutingUnitOfWork, task_id: UUID, kind: TaskKind, actor: Actor) -> Task:
    task = await uow.tasks.get(task_id)
    if task is None:
        raise NotFound("no such task")
    # A task belongs to the municipality of its case (or, without one, of its underretning).
    if task.infohus_case_id is not None:
        await case_for(uow, task.infohus_case_id, actor)
    else:
        await underretning_for(uow, _needed(task.underretning_id), actor)
    if task.kind is not kind:
        raise InvalidCommand(f"the task is a {task.kind} task, not {kind}")
    return task


async def confirm_receipt(uow: RoutingUnitOfWork, task_id: UUID, actor: Actor, *, sent_at: datetime | None,
                          now: datetime, deps: RoutingDeps, method: str | None = None,
                          send_to: str | None = None) -> ReceiptResult:
    """§ 138, stk. 1: the receipt went to the reporter another way (``method`` at ``sent_at``), or Infohus mails
    it to the reporter's work address (``send_to``; the task completes when notify reports it sent)."""
    if (send_to is None) == (method is None) or (method is not None and sent_at is None):
        raise InvalidCommand("Angiv enten send_to eller method med sent_at / give send_to, or method with sent_at")
    async with uow:
        task = await _task(uow, task_id, TaskKind.RECEIPT_CONFIRMATION, actor)
        u = await underretning_for(uow, _needed(task.underretning_id), actor)
        facts = await _facts(uow, u.concern_id)
        if send_to is not None:
            await _request_receipt_mail(uow, task, u, facts, actor, send_to=send_to, now=now)
            await uow.commit()
            return ReceiptResult(task=task_view(task), deadline_events=[])
        assert sent_at is not None
        at = checked_sent_at(sent_at, received_at=u.received_at, now=now, skew=deps.entered_time_skew)
        task.complete(actor, now, ReceiptOutcome.CONFIRMED.value, {"sent_at": at.isoformat(), "method": method})
        u.receipt_confirmed_at = at
        await save_underretning(uow, u, reference=facts.reference, at=now)
        await uow.tasks.save(task)
        reported = await stop_clock(uow, clock_id(u.underretning_id, ClockKind.RECEIPT_CONFIRMATION), at,
                                    "RECEIPT_CONFIRMED", deps.config)
        await uow.commit()
    return ReceiptResult(task=task_view(task), deadline_events=[k.value for k in reported])


async def _request_receipt_mail(uow: RoutingUnitOfWork, task: Task, u: Underretning, facts: ConcernFacts,
                                actor: Actor, *, send_to: str, now: datetime) -> None:
    if not facts.professional:
        # A citizen's address may be shared with the family the underretning is about.
        raise InvalidCommand("Infohus sender kun kvitteringsmail til en fagpersons arbejdsmail; registrer, hvordan "
                             "kvitteringen blev sendt / Infohus mails the receipt to professional reporters only")
    decision = await uow.decisions.get(u.concern_id)
    priority = Priority(decision.priority) if decision is not None else Priority.P1
    request = request_mail(task, u, actor, reference=facts.reference, priority=priority, send_to=send_to, now=now)
    await uow.tasks.save(task)
    await publish(uow, request, concern_id=u.concern_id)


async def record_orientation(uow: RoutingUnitOfWork, task_id: UUID, actor: Actor, *, outcome: OrientationOutcome,
                             withheld_reason: str | None, now: datetime) -> OrientationResult:
    """§ 138, stk. 2: the professional reporter was told what was started (or why not)."""
    if outcome is OrientationOutcome.WITHHELD_SAERLIGE_FORHOLD and not withheld_reason:
        raise InvalidCommand("withholding the orientation needs the reason (særlige forhold)")
    async with uow:
        task = await _task(uow, task_id, TaskKind.PROFESSIONAL_ORIENTATION, actor)
        task.complete(actor, now, outcome.value, {"withheld_reason": withheld_reason})
        u = await underretning_for(uow, _needed(task.underretning_id), actor)
        u.oriented_at, u.orientation_outcome = now, outcome.value
        await save_underretning(uow, u, reference=(await _facts(uow, u.concern_id)).reference, at=now)
        await uow.tasks.save(task)
        await uow.commit()
    return OrientationResult(task=task_view(task))


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
        task = await _task(uow, task_id, TaskKind.DISCLOSURE_PROPOSED, actor)
        task.check_actor(actor)
        facts = await _facts(uow, task.concern_id)
        decided = _entered(decided_at, "decided_at", _received(facts), now=now, deps=deps)
        occurred = _entered(occurred_at or decided, "occurred_at", Earliest(
            decided, da="beslutningen blev truffet", en="the decision (decided_at)"), now=now, deps=deps)
        case = await _case(uow, _needed(task.infohus_case_id), actor)
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
        task = await _task(uow, task_id, TaskKind.JURISDICTION_REVIEW, actor)
        task.check_actor(actor)
        if task.state.value != "OPEN":
            raise TransitionNotAllowed("the forwarding task is already done")
        facts = await _facts(uow, task.concern_id)
        occurred = _entered(occurred_at, "occurred_at", _received(facts), now=now, deps=deps)
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
            case = await _case(uow, task.infohus_case_id, actor)
            case.note(actor, now, "FORWARDED", {"to": record.recipient_authority, "legal_basis": record.legal_basis,
                                                "disclosure_record_id": str(record.record_id)})
            await save_case(uow, case)
        await publish(uow, record, concern_id=task.concern_id)
        await uow.commit()
    return ForwardingResult(task=task_view(task), disclosure_record_id=record.record_id,
                            legal_basis=record.legal_basis)


def _received(facts: ConcernFacts) -> Earliest:
    return Earliest(facts.received_at, da="henvendelsen blev modtaget", en="the concern's receipt")


def _entered(moment: datetime | None, field: str, earliest: Earliest, *, now: datetime, deps: RoutingDeps) -> datetime:
    """A time the person entered (bounded), or now when they gave none."""
    if moment is None:
        return now
    return checked_entered_time(moment, field=field, earliest=earliest, now=now, skew=deps.entered_time_skew)
