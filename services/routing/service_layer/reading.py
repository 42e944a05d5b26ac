"""The reads of the case API: lists and views for the staff workspace.

Every read of personal data writes its read-access rows in the reading transaction, committed before the
view is returned (one row per case or underretning shown); a refused or missing read writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from infohus.kit.auth import CaseKind, ReadPurpose
from infohus.kit.auth.roles import Permission, Role
from services.routing.adapters.keyset import InvalidCursor
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.adapters.worklists import CaseFilter, CaseRow, UnderretningRow
from services.routing.domain.actors import Actor
from services.routing.domain.calendar import OfficeCalendar
from services.routing.domain.case import CaseState, InfohusCase, TriageOutcome, awaited_signoffs
from services.routing.domain.casework import Underretning
from services.routing.domain.clocks import Clock
from services.routing.domain.config import MunicipalityConfig
from services.routing.domain.delivery import ACTION as DELIVERY_STATUS
from services.routing.domain.errors import InvalidCommand, NotFound, NotPermitted
from services.routing.domain.explanations import TIME_CONTEXT_TEXT, explain
from services.routing.domain.facts import cpr_hmac
from services.routing.domain.tasks import TASK_PERMISSION, Task, TaskKind
from services.routing.service_layer.common import ReadLog, case_for, underretning_for
from services.routing.service_layer.views import (
    CaseList,
    CaseSummary,
    CaseView,
    ClockView,
    DecisionView,
    DeliveryView,
    FiredRuleView,
    Signoff,
    TaskView,
    TimelineEntryView,
    TriageSignoffs,
    UnderretningList,
    UnderretningStatus,
    UnderretningSummary,
    UnderretningView,
    as_json,
    task_summary,
    task_view,
)


def require(actor: Actor, *permissions: Permission) -> None:
    if not any(actor.can(p) for p in permissions):
        raise NotPermitted(f"role {actor.role_name} may not do this")


def case_read_purpose(state: CaseState) -> ReadPurpose:
    """Why a tovholder reads a case when they do not say: triage while it awaits triage, follow-up in
    follow-up, case handling otherwise."""
    if state is CaseState.RECEIVED:
        return ReadPurpose.TRIAGE
    if state is CaseState.FOLLOW_UP:
        return ReadPurpose.FOLLOW_UP
    return ReadPurpose.CASE_HANDLING


def _bad_cursor() -> InvalidCommand:
    return InvalidCommand("Ugyldig cursor: brug next_cursor fra forrige side / invalid cursor")


# --- the inbox ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's filters as the caller gave them (the CPR in clear, only to be hashed here)."""

    include_closed: bool = False
    states: tuple[CaseState, ...] = ()
    priorities: tuple[str, ...] = ()
    overdue: bool | None = None
    mine: bool = False
    reference: str | None = None
    cpr: str | None = None
    concern_ids: tuple[UUID, ...] = ()
    limit: int = 50
    cursor: str | None = None


def _signoffs(stored: dict[str, dict[str, str]]) -> TriageSignoffs:
    return TriageSignoffs(**{role: Signoff(user_id=s["user_id"], outcome=TriageOutcome(s["outcome"]),
                                           at=datetime.fromisoformat(s["at"])) for role, s in stored.items()})


def _case_summary(row: CaseRow, now: datetime) -> CaseSummary:
    complete = row.triage_completed_at is not None
    awaiting = [] if complete else awaited_signoffs(
        {Role(role): TriageOutcome(s["outcome"]) for role, s in row.triage_signoffs.items()})
    state = CaseState(row.state)
    return CaseSummary(
        case_id=row.case_id, concern_id=row.concern_id, reference=row.reference, subject_index=row.subject_index,
        subject_path=f"subjects[{row.subject_index}]", state=state, priority=row.priority, flags=row.flags,
        triage_due_at=row.triage_due_at, opened_at=row.opened_at,
        overdue=not complete and state is not CaseState.CLOSED and row.triage_due_at < now,
        triage_complete=complete, triage_signoffs=_signoffs(row.triage_signoffs),
        awaiting=[r.value for r in awaiting], open_tasks=[task_summary(t) for t in row.open_tasks])


async def inbox(uow: RoutingUnitOfWork, query: InboxQuery, actor: Actor, read_log: ReadLog, *, now: datetime,
                hmac_key: bytes) -> CaseList:
    """Open infohus cases, most urgent first; each case listed is logged as read."""
    require(actor, Permission.CASE_READ)
    f = CaseFilter(
        include_closed=query.include_closed, states=tuple(s.value for s in query.states),
        priorities=query.priorities, overdue=query.overdue, actor=actor.user_id if query.mine else None,
        reference=query.reference, concern_ids=tuple(str(c) for c in query.concern_ids),
        cpr_hmac=None if query.cpr is None else cpr_hmac(query.cpr.replace("-", ""), hmac_key),
        municipalities=tuple(sorted(actor.municipalities)))
    async with uow:
        try:
            page = await uow.worklists.inbox(f, now=now, cursor=query.cursor, limit=query.limit)
        except InvalidCursor as error:
            raise _bad_cursor() from error
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, r.case_id, case_read_purpose(CaseState(r.state)))
                                    for r in page.rows])
        await uow.commit()
    return CaseList(items=[_case_summary(r, now) for r in page.rows], next_cursor=page.next_cursor, total=page.total)


async def cases_by_reference(uow: RoutingUnitOfWork, reference: str, actor: Actor, read_log: ReadLog, *,
                             now: datetime, purpose: ReadPurpose | None = None) -> list[CaseSummary]:
    """The cases of a reference (one per subject); each read is logged."""
    require(actor, Permission.CASE_READ)
    async with uow:
        rows = await uow.worklists.by_reference(reference, municipalities=actor.municipalities)
        if not rows:
            raise NotFound("Ingen sag med den reference / no case with that reference")
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, r.case_id, purpose or case_read_purpose(CaseState(r.state)))
                                    for r in rows])
        await uow.commit()
    return [_case_summary(r, now) for r in rows]


# --- StraXen's list -----------------------------------------------------------------------------------


def _underretning_summary(row: UnderretningRow, now: datetime, config: MunicipalityConfig) -> UnderretningSummary:
    u = row.underretning
    due = u.receipt_confirmation_due_date
    return UnderretningSummary(
        underretning_id=u.underretning_id, concern_id=u.concern_id, case_id=u.case_id, reference=row.reference,
        subject=u.subject, legal_type=u.legal_type, state=u.state, received_at=u.received_at,
        assessment_due_at=u.assessment_due_at, assessed_at=u.assessed_at,
        acute_measures_needed=u.acute_measures_needed,
        assessment_overdue=u.assessed_at is None and now > u.assessment_due_at,
        receipt_confirmation_due_date=due, receipt_confirmed_at=u.receipt_confirmed_at,
        receipt_overdue=(u.receipt_confirmed_at is None and due is not None
                         and OfficeCalendar(config).local_date(now) > due),
        professional_orientation_required=u.professional_orientation_required, oriented_at=u.oriented_at,
        open_tasks=[task_summary(t) for t in row.open_tasks])


async def underretning_list(uow: RoutingUnitOfWork, actor: Actor, read_log: ReadLog, *, include_closed: bool,
                            limit: int, cursor: str | None, now: datetime,
                            config: MunicipalityConfig) -> UnderretningList:
    """StraXen's open underretninger, most urgent first; each one listed is logged as read."""
    require(actor, Permission.UNDERRETNING_READ)
    async with uow:
        try:
            rows, next_cursor = await uow.worklists.underretninger(
                include_closed=include_closed, cursor=cursor, limit=limit, municipalities=actor.municipalities)
        except InvalidCursor as error:
            raise _bad_cursor() from error
        await read_log.record(uow, [
            (CaseKind.UNDERRETNING, r.underretning.underretning_id,
             ReadPurpose.UNDERRETNING_ASSESSMENT if r.underretning.assessed_at is None else ReadPurpose.FOLLOW_UP)
            for r in rows])
        await uow.commit()
    return UnderretningList(items=[_underretning_summary(r, now, config) for r in rows], next_cursor=next_cursor)


# --- the case view -------------------------------------------------------------------------------------


def _clock_views(clocks: list[Clock], events: list[dict[str, str]]) -> list[ClockView]:
    return [ClockView(clock_id=c.clock_id, kind=c.kind, started_at=c.started_at, due_at=c.due_at, warn_at=c.warn_at,
                      stopped_at=c.stopped_at, stop_reason=c.stop_reason,
                      events=[e["kind"] for e in events if e["clock_id"] == str(c.clock_id)])
            for c in clocks]


def _deliveries(case: InfohusCase) -> list[DeliveryView]:
    """The latest status of each notification about the case, from notify's entries on its timeline."""
    latest: dict[str, DeliveryView] = {}
    for entry in case.timeline:
        if entry.action != DELIVERY_STATUS or "notification_id" not in entry.details:
            continue
        d = entry.details
        latest[d["notification_id"]] = DeliveryView(
            notification_id=d["notification_id"], destination=d["destination"], purpose=d["purpose"],
            status=d["status"], attempt=d.get("attempt", 1), at=entry.at)
    return list(latest.values())


async def _decision_view(uow: RoutingUnitOfWork, concern_id: UUID) -> DecisionView | None:
    stored = await uow.decisions.stored(concern_id)
    if stored is None:
        return None
    decision, decided_at = stored
    return DecisionView(
        rules=[FiredRuleView(rule=r.rule, text=r.text) for r in explain(decision)],
        destinations=list(decision.destinations), priority=decision.priority,
        flags=[f.value for f in decision.flags], time_context=decision.time_context,
        time_context_text=TIME_CONTEXT_TEXT[decision.time_context], config_version=decision.config_version,
        decided_at=decided_at)


async def case_view(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, read_log: ReadLog, *,
                    purpose: ReadPurpose | None = None) -> CaseView:
    require(actor, Permission.CASE_READ)
    async with uow:
        case = await case_for(uow, case_id, actor)
        tasks = await uow.tasks.for_case(case_id)
        clocks = [c for c in await uow.clocks.for_concern(case.concern_id) if c.infohus_case_id == case_id]
        events = await uow.clocks.deadline_events_for([c.clock_id for c in clocks])
        underretninger = [u for u in await uow.underretninger.for_concern(case.concern_id)
                          if u.case_id == case_id]
        decision = await _decision_view(uow, case.concern_id)
        await read_log.record(uow, [(CaseKind.INFOHUS_CASE, case_id, purpose or case_read_purpose(case.state))])
        await uow.commit()
    return CaseView(
        case_id=case.case_id, concern_id=case.concern_id, reference=case.reference, subject_index=case.subject_index,
        subject_path=case.subject_path, person_id=case.person_id, group_id=case.group_id, state=case.state,
        priority=case.priority, flags=list(case.flags), triage_due_at=case.triage_due_at, opened_at=case.opened_at,
        version=case.version, triage_complete=case.triage_complete,
        triage_signoffs=TriageSignoffs(**{role.value: Signoff(user_id=s.user_id, outcome=s.outcome, at=s.at)
                                          for role, s in case.triage_signoffs.items()}),
        awaiting=[r.value for r in case.awaiting()], record=as_json(case.record), closed_at=case.closed_at,
        close_reason=case.close_reason,
        timeline=[TimelineEntryView(at=e.at, actor=e.actor, actor_role=e.actor_role, action=e.action,
                                    from_state=e.from_state, to_state=e.to_state, details=as_json(e.details))
                  for e in case.timeline],
        tasks=[task_view(t) for t in tasks], clocks=_clock_views(clocks, events),
        # Need-to-know: tovholdere see that underretninger exist, their state and deadlines, not their content.
        underretninger=[UnderretningStatus(underretning_id=u.underretning_id, state=u.state,
                                           assessment_due_at=u.assessment_due_at, assessed_at=u.assessed_at)
                        for u in underretninger],
        decision=decision, deliveries=_deliveries(case))


# --- tasks and the underretning view --------------------------------------------------------------------


# Why a task list is read: the tasks of disclosures and forwardings prepare a disclosure; the § 138 tasks
# follow up on a statutory deadline of an underretning.
_TASK_READ: dict[TaskKind, tuple[CaseKind, ReadPurpose]] = {
    TaskKind.DISCLOSURE_PROPOSED: (CaseKind.INFOHUS_CASE, ReadPurpose.DISCLOSURE),
    TaskKind.JURISDICTION_REVIEW: (CaseKind.INFOHUS_CASE, ReadPurpose.DISCLOSURE),
    TaskKind.RECEIPT_CONFIRMATION: (CaseKind.UNDERRETNING, ReadPurpose.FOLLOW_UP),
    TaskKind.PROFESSIONAL_ORIENTATION: (CaseKind.UNDERRETNING, ReadPurpose.FOLLOW_UP),
}


def _task_read(task: Task) -> tuple[CaseKind, UUID, ReadPurpose] | None:
    kind, purpose = _TASK_READ[task.kind]
    owner = task.underretning_id if kind is CaseKind.UNDERRETNING else task.infohus_case_id
    return None if owner is None else (kind, owner, purpose)


async def open_tasks(uow: RoutingUnitOfWork, actor: Actor, read_log: ReadLog) -> list[TaskView]:
    """Open tasks of the kinds the role handles. They name persons (pseudonyms, a person's municipality), so
    the read of each case or underretning listed is logged."""
    kinds = [kind for kind, permission in TASK_PERMISSION.items() if actor.can(permission)]
    if not kinds:
        raise NotPermitted(f"role {actor.role_name} handles no tasks")
    async with uow:
        tasks = await uow.tasks.open_of_kinds(kinds, municipalities=actor.municipalities)
        await read_log.record(uow, [read for read in map(_task_read, tasks) if read is not None])
        await uow.commit()
    return [task_view(t) for t in tasks]


def _underretning_view(u: Underretning, reference: str, tasks: list[Task], clocks: list[ClockView]) -> UnderretningView:
    return UnderretningView(
        underretning_id=u.underretning_id, concern_id=u.concern_id, case_id=u.case_id, reference=reference,
        subject=u.subject, person_id=u.person_id, legal_type=u.legal_type, origin=u.origin, state=u.state,
        received_at=u.received_at, assessment_due_at=u.assessment_due_at,
        receipt_confirmation_due_date=u.receipt_confirmation_due_date,
        professional_orientation_required=u.professional_orientation_required, assessed_at=u.assessed_at,
        assessed_by=u.assessed_by, acute_measures_needed=u.acute_measures_needed, assessment_note=u.assessment_note,
        receipt_confirmed_at=u.receipt_confirmed_at, oriented_at=u.oriented_at,
        orientation_outcome=u.orientation_outcome, forwarded_to=u.forwarded_to, forwarded_at=u.forwarded_at,
        tasks=[task_view(t) for t in tasks], clocks=clocks)


async def underretning_view(uow: RoutingUnitOfWork, underretning_id: UUID, actor: Actor, read_log: ReadLog, *,
                            purpose: ReadPurpose | None = None) -> UnderretningView:
    require(actor, Permission.UNDERRETNING_READ)
    async with uow:
        u = await underretning_for(uow, underretning_id, actor)
        facts = await uow.facts.get(u.concern_id)
        tasks = [t for t in await uow.tasks.for_concern(u.concern_id) if t.underretning_id == underretning_id]
        clocks = [c for c in await uow.clocks.for_concern(u.concern_id) if c.underretning_id == underretning_id]
        events = await uow.clocks.deadline_events_for([c.clock_id for c in clocks])
        await read_log.record(uow, [(CaseKind.UNDERRETNING, underretning_id,
                                     purpose or ReadPurpose.UNDERRETNING_ASSESSMENT)])
        await uow.commit()
    return _underretning_view(u, facts.reference if facts else "", tasks, _clock_views(clocks, events))
