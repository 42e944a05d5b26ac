"""The commands of an infohus case's lifecycle: the triage sign-offs and the steps after triage. Each loads
the case, lets the domain decide, and commits the state change with its outbox events in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from infohus.kit.auth.roles import Permission
from rules.calendar import OfficeCalendar
from services.routing.adapters.unit_of_work import RoutingUnitOfWork
from services.routing.domain.actors import Actor
from services.routing.domain.case import CaseState, CloseReason, InfohusCase, Recommendation, TriageOutcome
from services.routing.domain.clocks import ClockKind, clock_id
from services.routing.domain.entered_times import Earliest, checked_due_date, checked_entered_time
from services.routing.domain.errors import InvalidCommand, TransitionNotAllowed
from services.routing.service_layer.commands.results import ActionResult, TriageResult
from services.routing.service_layer.commands.shared import needed
from services.routing.service_layer.common import case_for, require, save_case
from services.routing.service_layer.deadlines import stop_clock
from services.routing.service_layer.handlers import RoutingDeps


async def sign_triage(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, outcome: TriageOutcome, *,
                      now: datetime, deps: RoutingDeps) -> TriageResult:
    require(actor, Permission.CASE_TRIAGE_MUNICIPAL, Permission.CASE_TRIAGE_POLICE)
    async with uow:
        case = await case_for(uow, case_id, actor)
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
        "START_FOLLOW_UP": lambda: case.start_follow_up(actor, at, follow_up_due=needed(a.follow_up_due)),
        "RECORD_FOLLOW_UP": lambda: case.record_follow_up(actor, at, note_ref=a.note_ref),
        "CLOSE": lambda: case.close(actor, at, needed(a.reason)),
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



async def act_on_case(uow: RoutingUnitOfWork, case_id: UUID, actor: Actor, action: CaseAction, *,
                      now: datetime, deps: RoutingDeps, expected_version: int | None = None) -> ActionResult:
    require(actor, Permission.CASE_TRANSITION)
    async with uow:
        case = await case_for(uow, case_id, actor)
        if expected_version is not None and expected_version != case.version:
            raise TransitionNotAllowed("the case has changed since you read it; reload it")
        _apply(case, actor, now, _bounded(action, case, now=now, deps=deps))
        await save_case(uow, case)
        if case.state is CaseState.CLOSED:  # closed before triage finished: the SLA clock stops, late or not
            await stop_clock(uow, clock_id(case_id, ClockKind.TRIAGE), now, "CASE_CLOSED", deps.config)
        await uow.commit()
    return ActionResult(state=case.state, version=case.version)
