"""What the workspace reads from the owning services' APIs. Lenient on purpose (``extra="ignore"``):
a field the page does not show is dropped here, so a new internal field can never reach a page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Signoff(_View):
    user_id: str
    outcome: str
    at: datetime


class TaskSummary(_View):
    task_id: UUID
    kind: str
    state: str = "OPEN"
    due_at: datetime | None = None
    due_date: date | None = None
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None
    details: dict[str, Any] = {}
    outcome: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None


class CaseSummary(_View):
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_path: str = "subjects[0]"
    state: str
    priority: str
    flags: list[str] = []
    triage_due_at: datetime
    opened_at: datetime
    overdue: bool = False
    triage_complete: bool = False
    triage_signoffs: dict[str, Signoff | None] = {}
    awaiting: list[str] = []
    open_tasks: list[TaskSummary] = []


class CaseList(_View):
    items: list[CaseSummary]
    next_cursor: str | None = None
    total: int | None = None


class TimelineEntry(_View):
    at: datetime
    actor: str
    actor_role: str
    action: str
    from_state: str = ""
    to_state: str = ""
    details: dict[str, Any] = {}


class Clock(_View):
    kind: str
    due_at: datetime
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    events: list[str] = []
    underretning_id: UUID | None = None


class RuleExplanation(_View):
    rule: str
    text: str


class DecisionExplanation(_View):
    rules: list[RuleExplanation] = []
    destinations: list[str] = []
    priority: str | None = None
    time_context: str | None = None
    time_context_text: str | None = None
    config_version: str | None = None
    rules_fingerprint: str | None = None


class Delivery(_View):
    notification_id: UUID
    destination: str
    purpose: str
    status: str
    attempt: int = 0
    at: datetime


class CaseUnderretning(_View):
    underretning_id: UUID
    state: str
    assessment_due_at: datetime | None = None
    assessed_at: datetime | None = None
    concern_id: UUID | None = None
    reference: str | None = None


class CaseConcern(_View):
    """A concern about the case's person: the one that opened the case, or one that joined it."""

    concern_id: UUID
    reference: str
    received_at: datetime
    subject_index: int = 0
    match: str
    linked_at: datetime
    linked_by: str
    reason: str | None = None
    active: bool = True
    unlinked_at: datetime | None = None
    unlinked_by: str | None = None
    unlink_reason: str | None = None


class CaseView(_View):
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_index: int = 0
    subject_path: str = "subjects[0]"
    state: str
    priority: str
    flags: list[str] = []
    age_band: str | None = None  # the subject's, now
    triage_due_at: datetime
    opened_at: datetime
    version: int = 0
    triage_signoffs: dict[str, Signoff | None] = {}
    awaiting: list[str] = []
    record: dict[str, Any] = {}
    closed_at: datetime | None = None
    close_reason: str | None = None
    timeline: list[TimelineEntry] = []
    tasks: list[TaskSummary] = []
    clocks: list[Clock] = []
    underretninger: list[CaseUnderretning] = []
    decision: DecisionExplanation | None = None
    deliveries: list[Delivery] = []
    concerns: list[CaseConcern] = []


class UnderretningSummary(_View):
    underretning_id: UUID
    concern_id: UUID
    case_id: UUID | None = None
    reference: str | None = None
    subject: str = "subjects[0]"
    legal_type: str
    state: str
    received_at: datetime
    assessment_due_at: datetime
    assessed_at: datetime | None = None
    acute_measures_needed: bool | None = None
    assessment_overdue: bool = False
    receipt_confirmation_due_date: date | None = None
    receipt_confirmed_at: datetime | None = None
    receipt_overdue: bool = False
    professional_orientation_required: bool = False
    oriented_at: datetime | None = None
    open_tasks: list[TaskSummary] = []


class UnderretningList(_View):
    items: list[UnderretningSummary]
    next_cursor: str | None = None


class UnderretningView(UnderretningSummary):
    age_band: str | None = None  # the child's, now
    assessed_by: str | None = None
    assessment_note: str | None = None
    orientation_outcome: str | None = None
    tasks: list[TaskSummary] = []
    clocks: list[Clock] = []


class PersonView(_View):
    path: str
    role: str = "subject"
    name: str | None = None
    cpr: str | None = None
    date_of_birth: date | None = None
    stated_age: int | None = None
    municipality: str | None = None
    address: str | None = None
    school_or_workplace: str | None = None


class ReporterView(_View):
    category: str
    anonymous: bool = False
    claims_professional: bool = False
    authority: str | None = None  # a partner authority's report: which authority
    cooperation_form: str | None = None
    name: str | None = None
    role: str | None = None
    workplace: str | None = None
    phone: str | None = None
    email: str | None = None


class ConcernView(_View):
    concern_id: UUID
    reference: str
    channel: str
    received_at: datetime
    recorded_at: datetime | None = None
    description: str | None = None
    warning_signs: list[str] = []
    acuteness: str = "ROUTINE"
    crime_suspicion: bool = False
    persons: list[PersonView] = []
    reporter: ReporterView


class ConcernMatch(_View):
    concern_id: UUID
    reference: str
    received_at: datetime | None = None
    persons: list[dict[str, Any]] = Field(default_factory=list)


class Participant(_View):
    code: str
    name: str
    forms: list[str] = []
    police: bool = False


class DisclosureDraft(_View):
    concern_id: UUID
    infohus_case_id: UUID
    reference: str
    subject_person_ids: list[str]
    subject_cpr_hmacs: list[str] = []
    reporter_anonymous: bool = False
    data_categories: list[str] = []
    content_manifest: list[str]
    content_hash: str | None = None
    discloser_authority: str
    discloser_unit: str
    retention_years: int
    routing_table_version: str
    system_version: str
    cooperation_participants: list[Participant] = []


class CaseDisclosure(_View):
    record_id: UUID
    kind: str
    occurred_at: datetime
    executed_by: str
    decided_by: str | None = None
    recipient_authority: str
    channel: str
    legal_basis: str
    purpose: str
    data_categories: list[str] = []
