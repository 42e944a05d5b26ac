"""What routing opens for a concern, derived from the decision: cases, underretninger, clocks, tasks,
mails and internal transfers.

Pure: identifiers are derived deterministically from the concern, so reprocessing the same event
produces the same plan (and the same notification ids, which notify deduplicates on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID, uuid5

from contracts.concern import ConcernIn
from contracts.events import (
    Deadline,
    Destination,
    DisclosureRecorded,
    NotificationPurpose,
    NotificationRequested,
    Priority,
    UnderretningUpdated,
)
from infohus.kit.auth.roles import Permission
from rules.calendar import OfficeCalendar
from rules.config import MunicipalityConfig
from rules.decision import Decision
from rules.decision_table import (
    ASSESSMENT_DEADLINE,
    RECEIPT_CONFIRMATION_HVERDAGE,
    triage_due_at,
    underretning_legal_type,
)
from rules.vocabulary import Flag, Jurisdiction
from services.routing.domain.actors import SYSTEM, Actor
from services.routing.domain.case import InfohusCase
from services.routing.domain.classification import Classification
from services.routing.domain.clocks import (
    Clock,
    ClockKind,
    assessment_clock,
    end_of_local_day,
    receipt_clock,
    triage_clock,
    warn_at,
)
from services.routing.domain.disclosures import SystemInfo, internal_transfer
from services.routing.domain.errors import NotPermitted, TransitionNotAllowed
from services.routing.domain.facts import ConcernFacts, PersonRecord
from services.routing.domain.tasks import Task, TaskKind, task_id

MAILED_DESTINATIONS = (Destination.INFOHUS_TK, Destination.UNDERRETNING, Destination.OOH_ESCALATION)
TRANSFERRED_TO = (Destination.INFOHUS_TK, Destination.UNDERRETNING)


@dataclass
class Underretning:
    """An underretning (barnets lov §§ 133/135) and what StraXen has done about it."""

    underretning_id: UUID
    concern_id: UUID
    case_id: UUID | None
    subject: str
    person_id: str
    legal_type: str
    received_at: datetime
    assessment_due_at: datetime
    receipt_confirmation_due_date: date | None
    professional_orientation_required: bool
    municipality: str
    """The code of the municipality the underretning belongs to."""
    origin: str = "ROUTING"  # or AGE_CORRECTION
    state: str = "REGISTERED"
    assessed_at: datetime | None = None
    assessed_by: str | None = None
    acute_measures_needed: bool | None = None
    assessment_note: str | None = None
    receipt_confirmed_at: datetime | None = None
    oriented_at: datetime | None = None
    orientation_outcome: str | None = None
    forwarded_to: str | None = None
    forwarded_at: datetime | None = None

    def assess(self, actor: Actor, at: datetime, *, acute_measures_needed: bool, note: str | None = None) -> None:
        """Barnets lov § 136, stk. 2: is the child in danger, are acute measures needed?"""
        if not actor.can(Permission.UNDERRETNING_ASSESS):
            raise NotPermitted("only StraXen assesses an underretning")
        if self.assessed_at is not None:
            raise TransitionNotAllowed("the underretning is already assessed")
        self.state, self.assessed_at, self.assessed_by = "ASSESSED", at, actor.user_id
        self.acute_measures_needed = acute_measures_needed
        self.assessment_note = note.strip() if note and note.strip() else None

    @property
    def assessment_late(self) -> bool:
        return self.assessed_at is not None and self.assessed_at > self.assessment_due_at

    def updated_event(self, *, reference: str, at: datetime) -> UnderretningUpdated:
        """What audit learns when the underretning is registered or acted on: dates and states only."""
        return UnderretningUpdated(
            underretning_id=self.underretning_id, concern_id=self.concern_id, reference=reference,
            infohus_case_id=self.case_id, legal_type=self.legal_type, origin=self.origin, state=self.state,
            received_at=self.received_at, assessment_due_at=self.assessment_due_at,
            receipt_confirmation_due_date=self.receipt_confirmation_due_date,
            professional_orientation_required=self.professional_orientation_required,
            assessed_at=self.assessed_at, receipt_confirmed_at=self.receipt_confirmed_at,
            oriented_at=self.oriented_at, forwarded_at=self.forwarded_at, updated_at=at)


@dataclass
class CasePlan:
    facts: ConcernFacts
    cases: list[InfohusCase]
    underretninger: list[Underretning]
    clocks: list[Clock] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    notifications: list[NotificationRequested] = field(default_factory=list)
    disclosures: list[DisclosureRecorded] = field(default_factory=list)

    def underretninger_for(self, case_id: UUID) -> list[Underretning]:
        return [u for u in self.underretninger if u.case_id == case_id]


@dataclass(frozen=True)
class PlanContext:
    concern_id: UUID
    reference: str
    received_at: datetime
    concern: ConcernIn
    config: MunicipalityConfig
    system: SystemInfo
    now: datetime


def plan_cases(ctx: PlanContext, decision: Decision, facts: ConcernFacts) -> CasePlan:
    group_id = uuid5(ctx.concern_id, "group")
    flags = tuple(decision.flags)
    cases = [InfohusCase.open(case_id=uuid5(ctx.concern_id, f"case:{i}"), concern_id=ctx.concern_id,
                              reference=ctx.reference, subject_index=i,
                              person_id=facts.persons[i].person_id, group_id=group_id,
                              priority=Priority(decision.priority), triage_due_at=decision.infohus_triage_due,
                              flags=flags, opened_at=ctx.now, municipality=ctx.config.municipality_code)
             for i in range(len(ctx.concern.subjects))]
    underretninger = [
        Underretning(underretning_id=uuid5(ctx.concern_id, f"underretning:{u.subject}"),
                     concern_id=ctx.concern_id, case_id=_case_for(cases, u.subject), subject=u.subject,
                     person_id=_person(facts, u.subject).person_id, legal_type=str(u.legal_type),
                     received_at=facts.effective_received_at, assessment_due_at=u.assessment_due_at,
                     receipt_confirmation_due_date=u.receipt_confirmation_due_date,
                     professional_orientation_required=u.professional_orientation_required,
                     municipality=ctx.config.municipality_code)
        for u in decision.underretninger]
    plan = CasePlan(facts, cases, underretninger)
    fraction = ctx.config.triage_sla.warning_fraction
    at_risk = Flag.ASSESSMENT_DEADLINE_AT_RISK in decision.flags
    for case in cases:
        plan.clocks.append(triage_clock(case_id=case.case_id, concern_id=ctx.concern_id,
                                        received_at=facts.effective_received_at, due_at=case.triage_due_at,
                                        fraction=fraction))
    for underretning in underretninger:
        clocks, tasks = underretning_duties(underretning, ctx.config, now=ctx.now, at_risk_from_start=at_risk)
        plan.clocks.extend(clocks)
        plan.tasks.extend(tasks)
    first_case = cases[0]
    if Flag.DISCLOSURE_PROPOSED_TASK in decision.flags:
        plan.tasks.append(Task(task_id(ctx.concern_id, TaskKind.DISCLOSURE_PROPOSED), TaskKind.DISCLOSURE_PROPOSED,
                               ctx.concern_id, first_case.case_id, None, created_at=ctx.now,
                               due_at=decision.infohus_triage_due,
                               details={"recipient_authority": "KBHV_POLITI_INFOHUS",
                                        "person_ids": [c.person_id for c in cases]}))
    if Destination.JURISDICTION_REVIEW in decision.destinations:
        others = [p for p in facts.persons if p.jurisdiction is Jurisdiction.OTHER]
        plan.tasks.append(Task(task_id(ctx.concern_id, TaskKind.JURISDICTION_REVIEW), TaskKind.JURISDICTION_REVIEW,
                               ctx.concern_id, first_case.case_id, None, created_at=ctx.now,
                               due_at=decision.infohus_triage_due,
                               details={"persons": [{"path": p.path, "person_id": p.person_id,
                                                     "municipality": p.municipality} for p in others]}))
    destinations = [Destination(d) for d in decision.destinations]
    plan.notifications.extend(
        new_case_notification(facts, Classification.of_decision(decision), first_case.case_id, underretninger, d,
                              ctx.now)
        for d in destinations if d in MAILED_DESTINATIONS)
    for destination in destinations:
        if destination not in TRANSFERRED_TO:
            continue
        to_child_welfare = destination is Destination.UNDERRETNING
        plan.disclosures.append(internal_transfer(
            facts, to_child_welfare=to_child_welfare, record_id=uuid5(ctx.concern_id, f"transfer:{destination.value}"),
            case_id=first_case.case_id,
            underretning_id=underretninger[0].underretning_id if to_child_welfare else None,
            person_ids=[u.person_id for u in underretninger] if to_child_welfare else [c.person_id for c in cases],
            occurred_at=facts.received_at, config_version=decision.config_version, system=ctx.system))
    return plan


def underretning_duties(underretning: Underretning, config: MunicipalityConfig, *, now: datetime,
                        at_risk_from_start: bool) -> tuple[list[Clock], list[Task]]:
    """The clocks (§ 136, stk. 2; § 138, stk. 1) and tasks (§ 138, stk. 1 and 2) of one underretning."""
    u = underretning
    clocks = [assessment_clock(underretning_id=u.underretning_id, concern_id=u.concern_id, case_id=u.case_id,
                               received_at=u.received_at, fraction=config.triage_sla.warning_fraction,
                               at_risk_from_start=at_risk_from_start)]
    tasks = []
    if u.receipt_confirmation_due_date is not None:
        clocks.append(receipt_clock(underretning_id=u.underretning_id, concern_id=u.concern_id, case_id=u.case_id,
                                    received_at=u.received_at, due_date=u.receipt_confirmation_due_date,
                                    zone=config.zone))
        tasks.append(Task(task_id(u.underretning_id, TaskKind.RECEIPT_CONFIRMATION), TaskKind.RECEIPT_CONFIRMATION,
                          u.concern_id, u.case_id, u.underretning_id, created_at=now,
                          due_date=u.receipt_confirmation_due_date))
    if u.professional_orientation_required:
        receipt_day = OfficeCalendar(config).local_date(u.received_at)
        tasks.append(Task(task_id(u.underretning_id, TaskKind.PROFESSIONAL_ORIENTATION),
                          TaskKind.PROFESSIONAL_ORIENTATION, u.concern_id, u.case_id, u.underretning_id,
                          created_at=now,
                          due_date=receipt_day + timedelta(days=config.professional_orientation_due_days)))
    return clocks, tasks


def underretning_after_age_correction(facts: ConcernFacts, person: PersonRecord, *, case_id: UUID,
                                      config: MunicipalityConfig) -> Underretning:
    """The underretning that was missing, with the concern's original receipt time and clocks."""
    calendar = OfficeCalendar(config)
    received_at = facts.effective_received_at
    receipt_due = (calendar.nth_hverdag_after(calendar.local_date(received_at), RECEIPT_CONFIRMATION_HVERDAGE)
                   if facts.reporter_contactable else None)
    return Underretning(
        underretning_id=uuid5(facts.concern_id, f"underretning:{person.path}"), concern_id=facts.concern_id,
        case_id=case_id, subject=person.path, person_id=person.person_id,
        legal_type=underretning_legal_type(facts.reporter_category, person.path, person.age_band).value,
        received_at=received_at, assessment_due_at=received_at + ASSESSMENT_DEADLINE,
        receipt_confirmation_due_date=receipt_due,
        professional_orientation_required=facts.professional and facts.reporter_contactable,
        municipality=config.municipality_code, origin="AGE_CORRECTION")


def new_case_notification(facts: ConcernFacts, classification: Classification, case_id: UUID,
                          underretninger: list[Underretning], destination: Destination, now: datetime,
                          *, purpose: NotificationPurpose | None = None, key: str = "") -> NotificationRequested:
    """A mailbox's mail about the case, with the classification given: the decision's for a new case, the
    case's current one (:func:`~services.routing.domain.classification.current`) for any mail after that."""
    deadlines = [Deadline(label="Triage i Infohus senest", due_at=classification.triage_due_at)]
    underretning_id = None
    if destination is not Destination.INFOHUS_TK and underretninger:
        first_due = min(underretninger, key=lambda u: u.assessment_due_at)
        underretning_id = first_due.underretning_id
        deadlines = [Deadline(label="Vurdering inden 24 timer (barnets lov § 136, stk. 2)",
                              due_at=first_due.assessment_due_at)]
        receipt_dates = [u.receipt_confirmation_due_date for u in underretninger if u.receipt_confirmation_due_date]
        if receipt_dates:
            deadlines.append(Deadline(label="Kvittering til underretter senest (§ 138, stk. 1)",
                                      due_date=min(receipt_dates)))
    if purpose is None:
        purpose = NotificationPurpose.OOH_ESCALATION if destination is Destination.OOH_ESCALATION \
            else NotificationPurpose.NEW_CASE
    return NotificationRequested(
        notification_id=uuid5(facts.concern_id, f"notification:{destination.value}:{purpose.value}{key}"),
        concern_id=facts.concern_id, reference=facts.reference, destination=destination, purpose=purpose,
        priority=classification.priority, acute=classification.acute,
        age_bands=list(classification.age_bands), flags=list(classification.flags), deadlines=deadlines,
        infohus_case_id=case_id, underretning_id=underretning_id)


def _case_for(cases: list[InfohusCase], path: str) -> UUID:
    """A subject's underretning belongs to that subject's case; a child at risk's to the first case."""
    for case in cases:
        if path == f"subjects[{case.subject_index}]":
            return case.case_id
    return cases[0].case_id


def _person(facts: ConcernFacts, path: str) -> PersonRecord:
    person = facts.person(path)
    if person is None:  # pragma: no cover - the decision's paths come from the same concern
        raise KeyError(path)
    return person


def move_to_earlier_receipt(new_received_at: datetime, *, facts: ConcernFacts, cases: list[InfohusCase],
                            underretninger: list[Underretning], clocks: list[Clock], tasks: list[Task],
                            config: MunicipalityConfig, now: datetime, because_of: UUID) -> list[Clock]:
    """R0b: a near duplicate received earlier than the original moves the original's clocks to it.

    Only running clocks move, only ever earlier, and each case's timeline says so (never silently).
    Returns the clocks that moved.
    """
    if new_received_at >= facts.effective_received_at:
        return []
    calendar = OfficeCalendar(config)
    fraction = config.triage_sla.warning_fraction
    previous = facts.effective_received_at
    facts.effective_received_at = new_received_at
    receipt_due = calendar.nth_hverdag_after(calendar.local_date(new_received_at), RECEIPT_CONFIRMATION_HVERDAGE)
    by_case = {case.case_id: case for case in cases}
    for underretning in underretninger:
        underretning.received_at = min(underretning.received_at, new_received_at)
        underretning.assessment_due_at = underretning.received_at + ASSESSMENT_DEADLINE
        if underretning.receipt_confirmation_due_date is not None:
            underretning.receipt_confirmation_due_date = min(underretning.receipt_confirmation_due_date, receipt_due)
    for task in tasks:
        if task.kind is TaskKind.RECEIPT_CONFIRMATION and task.due_date is not None:
            task.due_date = min(task.due_date, receipt_due)
    moved = []
    for clock in clocks:
        if clock.kind is ClockKind.TRIAGE and clock.infohus_case_id in by_case:
            case = by_case[clock.infohus_case_id]
            due = min(triage_due_at(new_received_at, case.priority, config, calendar), clock.due_at)
            case.move_triage_due(now, due, "NEAR_DUPLICATE_RECEIVED_EARLIER")
            new_warn: datetime | None = warn_at(new_received_at, due, fraction)
        elif clock.kind is ClockKind.ASSESSMENT:
            due = new_received_at + ASSESSMENT_DEADLINE
            at_risk_from_start = clock.warn_at == clock.started_at
            new_warn = new_received_at if at_risk_from_start else warn_at(new_received_at, due, fraction)
        elif clock.kind is ClockKind.RECEIPT_CONFIRMATION:
            due, new_warn = end_of_local_day(receipt_due, config.zone), None
        else:
            continue
        if clock.moved_earlier(new_received_at, due, new_warn):
            moved.append(clock)
    for case in cases:
        case.note(SYSTEM, now, "CLOCKS_MOVED_EARLIER", {
            "from_received_at": previous.isoformat(), "to_received_at": new_received_at.isoformat(),
            "because_of_concern": str(because_of), "clocks": [f"{c.kind.value}:{c.clock_id}" for c in moved]})
    return moved
