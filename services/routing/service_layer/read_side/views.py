"""What the read side returns: typed views (pydantic), so the staff workspace gets JSON lists and objects,
never strings of JSON, and no internal field leaves by accident (only the fields declared here do)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from contracts.events import DeadlineKind, DeliveryStatus, Destination, NotificationPurpose, Priority
from rules.age import AgeBand
from rules.vocabulary import TimeContext
from services.routing.domain.case import CaseState, CloseReason, TriageOutcome
from services.routing.domain.clocks import Clock, ClockKind
from services.routing.domain.tasks import Task, TaskKind, TaskState

Json = dict[str, JsonValue]


def as_json(details: dict[str, Any]) -> Json:
    """Details as stored (datetimes and UUIDs as strings), whether or not they have been to the database."""
    value: Json = json.loads(json.dumps(details, default=str))
    return value


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- shared pieces -----------------------------------------------------------------------------------


class Signoff(_View):
    user_id: str
    outcome: TriageOutcome
    at: AwareDatetime


class TriageSignoffs(_View):
    tovholder_municipal: Signoff | None = None
    tovholder_police: Signoff | None = None


class TaskSummary(_View):
    task_id: UUID
    kind: TaskKind
    due_at: AwareDatetime | None
    due_date: date | None


class TaskView(_View):
    task_id: UUID
    kind: TaskKind
    concern_id: UUID
    infohus_case_id: UUID | None
    underretning_id: UUID | None
    state: TaskState
    created_at: AwareDatetime
    due_at: AwareDatetime | None
    due_date: date | None
    completed_at: AwareDatetime | None
    completed_by: str | None
    outcome: str | None
    details: Json


def task_view(task: Task) -> TaskView:
    return TaskView(task_id=task.task_id, kind=task.kind, concern_id=task.concern_id,
                    infohus_case_id=task.infohus_case_id, underretning_id=task.underretning_id, state=task.state,
                    created_at=task.created_at, due_at=task.due_at, due_date=task.due_date,
                    completed_at=task.completed_at, completed_by=task.completed_by, outcome=task.outcome,
                    details=as_json(task.details))


def task_summary(task: Task) -> TaskSummary:
    return TaskSummary(task_id=task.task_id, kind=task.kind, due_at=task.due_at, due_date=task.due_date)


class ClockView(_View):
    clock_id: UUID
    kind: ClockKind
    started_at: AwareDatetime
    due_at: AwareDatetime
    warn_at: AwareDatetime | None
    stopped_at: AwareDatetime | None
    stop_reason: str | None
    events: list[DeadlineKind]
    """The warning and breach events emitted for this clock, oldest first."""


def clock_views(clocks: list[Clock], events: list[dict[str, str]]) -> list[ClockView]:
    return [ClockView(clock_id=c.clock_id, kind=c.kind, started_at=c.started_at, due_at=c.due_at, warn_at=c.warn_at,
                      stopped_at=c.stopped_at, stop_reason=c.stop_reason,
                      events=[e["kind"] for e in events if e["clock_id"] == str(c.clock_id)])
            for c in clocks]


# --- the inbox ---------------------------------------------------------------------------------------


class CaseSummary(_View):
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_index: int
    subject_path: str
    state: CaseState
    priority: Priority
    flags: list[str]
    triage_due_at: AwareDatetime
    opened_at: AwareDatetime
    overdue: bool
    triage_complete: bool
    triage_signoffs: TriageSignoffs
    awaiting: list[str]
    open_tasks: list[TaskSummary]


class CaseList(_View):
    items: list[CaseSummary]
    next_cursor: str | None
    total: int | None


# --- StraXen's list ------------------------------------------------------------------------------------


class UnderretningSummary(_View):
    underretning_id: UUID
    concern_id: UUID
    case_id: UUID | None
    reference: str | None
    subject: str
    legal_type: str
    state: str
    received_at: AwareDatetime
    assessment_due_at: AwareDatetime
    assessed_at: AwareDatetime | None
    acute_measures_needed: bool | None
    assessment_overdue: bool
    receipt_confirmation_due_date: date | None
    receipt_confirmed_at: AwareDatetime | None
    receipt_overdue: bool
    professional_orientation_required: bool
    oriented_at: AwareDatetime | None
    open_tasks: list[TaskSummary]


class UnderretningList(_View):
    items: list[UnderretningSummary]
    next_cursor: str | None


# --- the case view -------------------------------------------------------------------------------------


class TimelineEntryView(_View):
    at: AwareDatetime
    actor: str
    actor_role: str
    action: str
    from_state: str
    to_state: str
    details: Json


class FiredRuleView(_View):
    rule: str
    text: str


class DecisionView(_View):
    """The routing decision as stored when the concern arrived, explained in Danish."""

    rules: list[FiredRuleView]
    destinations: list[Destination]
    priority: Priority
    flags: list[str]
    time_context: TimeContext
    time_context_text: str
    config_version: str
    rules_fingerprint: str | None = Field(
        default=None, description="sha256 of the rules code and the municipality configuration that made the "
        "decision (`infohus explain --decision` replays it); null for decisions made before it was recorded")
    decided_at: AwareDatetime


class UnderretningStatus(_View):
    """State and deadlines only: tovholdere do not see StraXen's content."""

    underretning_id: UUID
    state: str
    assessment_due_at: AwareDatetime
    assessed_at: AwareDatetime | None
    concern_id: UUID | None = None
    reference: str | None = None
    """The concern the underretning came with (each concern about a possible minor brings its own)."""


class CaseConcernView(_View):
    """A concern about the case's person: the one that opened the case, or one that joined it (on arrival by
    CPR number or by name and date of birth, or linked by a tovholder), and whether and why it left."""

    concern_id: UUID
    reference: str
    received_at: AwareDatetime
    subject_index: int
    match: str
    linked_at: AwareDatetime
    linked_by: str
    reason: str | None
    active: bool
    unlinked_at: AwareDatetime | None = None
    unlinked_by: str | None = None
    unlink_reason: str | None = None


class DeliveryView(_View):
    """The latest delivery status notify reported for one notification about the case."""

    notification_id: UUID
    destination: Destination
    purpose: NotificationPurpose
    status: DeliveryStatus
    attempt: int
    at: AwareDatetime


class CaseView(_View):
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_index: int
    subject_path: str
    person_id: str
    group_id: UUID
    state: CaseState
    priority: Priority
    flags: list[str]
    age_band: AgeBand | None
    """The subject's age band now (after any correction); the priority and flags are the case's, current too."""
    triage_due_at: AwareDatetime
    opened_at: AwareDatetime
    version: int
    triage_complete: bool
    triage_signoffs: TriageSignoffs
    awaiting: list[str]
    record: Json
    closed_at: AwareDatetime | None
    close_reason: CloseReason | None
    timeline: list[TimelineEntryView]
    tasks: list[TaskView]
    clocks: list[ClockView]
    underretninger: list[UnderretningStatus]
    decision: DecisionView | None
    deliveries: list[DeliveryView]
    concerns: list[CaseConcernView] = []
    """Every concern about the person, the opening one first; those that left the case too (``active``)."""


# --- the underretning view (StraXen) -------------------------------------------------------------------


class UnderretningView(_View):
    underretning_id: UUID
    concern_id: UUID
    case_id: UUID | None
    reference: str
    subject: str
    person_id: str
    legal_type: str
    origin: str
    state: str
    age_band: AgeBand | None
    """The child's age band now (after any correction)."""
    received_at: AwareDatetime
    assessment_due_at: AwareDatetime
    receipt_confirmation_due_date: date | None
    professional_orientation_required: bool
    assessed_at: AwareDatetime | None
    assessed_by: str | None
    acute_measures_needed: bool | None
    assessment_note: str | None
    receipt_confirmed_at: AwareDatetime | None
    oriented_at: AwareDatetime | None
    orientation_outcome: str | None
    forwarded_to: str | None
    forwarded_at: AwareDatetime | None
    tasks: list[TaskView]
    clocks: list[ClockView]
