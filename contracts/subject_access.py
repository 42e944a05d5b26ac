"""Subject access (GDPR art. 15): what an administrator asks each owning service for, what each answers, and
the bundle the staff workspace makes of the answers.

Each owning service answers for what it holds about one person, found by CPR number: intake by the number
itself, routing and audit by its keyed hash (``contracts.cpr``), notify by the concerns the others found.
No answer names an employee (CJEU C-579/21): who read, decided or executed is given by role or authority
only. Codes stay codes (the workspace puts them in Danish); every model here is what crosses the wire.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Final, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from contracts.concern import CprNumber

BUNDLE_FORMAT: Final = "infohus.subject-access.v1"
REQUEST_PART = "request:"
"""The read-access log names the export a row belongs to as ``request:<request id>`` among its fields."""
_CPR_IN_TEXT = re.compile(r"\d{6}-?\d{4}")

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=500)]


def holds_cpr(text: str) -> bool:
    """Whether ``text`` holds something written like a CPR number (a reason must not)."""
    return _CPR_IN_TEXT.search(text) is not None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubjectAccessRequest(_Model):
    """What intake, routing and audit are asked (as a POST body, so the number never lands in a URL)."""

    request_id: UUID = Field(description="One id per export: every service's log rows name it")
    cpr: CprNumber = Field(description="The person's CPR number, with or without the dash")
    reason: Reason = Field(description="Why the administrator exports (e.g. the request's journal number); "
                                       "audit keeps it with the request. No CPR numbers.")

    @field_validator("cpr")
    @classmethod
    def _digits(cls, value: str) -> str:
        return value.replace("-", "")

    @field_validator("reason")
    @classmethod
    def _no_cpr(cls, value: str) -> str:
        if holds_cpr(value):
            raise ValueError("the reason must not hold a CPR number")
        return value


class MailsRequest(_Model):
    """What notify is asked: the mails about these concerns (notify knows no CPR number)."""

    request_id: UUID
    concern_ids: list[UUID] = Field(max_length=1000)


class Consultation(_Model):
    """One read of the person's data as art. 15 reports it: when, by which role, why; never by whom."""

    read_at: AwareDatetime
    service: str
    roles: list[str]
    purpose: str
    case_kind: str | None = None
    case_id: str | None = None
    parts: list[str] = []


# --- intake: the concerns -----------------------------------------------------------------------------


class PersonEntry(_Model):
    """The person as a concern names them."""

    path: str = Field(examples=["subjects[0]"])
    role: Literal["subject", "child_at_risk"]
    name: str | None
    cpr: str | None
    date_of_birth: date | None
    stated_age: int | None
    municipality: str | None
    address: str | None
    school_or_workplace: str | None


class ConcernAboutPerson(_Model):
    """A concern naming the person: what was said and their own entries. Other persons and the reporter's
    identity are third parties' data (art. 15(4)): only their number and the reporter's category are given."""

    concern_id: UUID
    reference: str
    channel: str
    received_at: AwareDatetime
    recorded_at: AwareDatetime
    entered_by_staff: bool
    persons: list[PersonEntry]
    description: str
    warning_signs: list[str]
    acuteness: str
    crime_suspicion: bool
    reporter_category: str
    reporter_anonymous: bool
    other_persons: int


class IntakePart(_Model):
    service: Literal["intake"] = "intake"
    concerns: list[ConcernAboutPerson]
    consultations: list[Consultation]


# --- routing: cases and underretninger ----------------------------------------------------------------


class PersonFacts(_Model):
    """What routing derived about the person from a concern (codes only)."""

    concern_id: UUID
    reference: str
    path: str
    age_band: str
    minor_possible: bool


class TimelineStep(_Model):
    at: AwareDatetime
    by_role: str
    action: str
    from_state: str
    to_state: str
    text: str | None = Field(None, description="What the step recorded in words or a code: a note's text, why "
                                               "the case was put on hold or closed, a triage outcome, a mail's "
                                               "delivery")


class TaskStep(_Model):
    kind: str
    state: str
    created_at: AwareDatetime
    due_at: AwareDatetime | None
    due_date: date | None
    completed_at: AwareDatetime | None
    outcome: str | None


class Deadline(_Model):
    kind: str
    started_at: AwareDatetime
    due_at: AwareDatetime
    stopped_at: AwareDatetime | None
    stop_reason: str | None


class Triage(_Model):
    outcome: str
    decided_at: AwareDatetime


class Screening(_Model):
    completed_at: AwareDatetime
    sources_consulted: list[str]
    analysis_needed: bool


class Analysis(_Model):
    meeting_at: AwareDatetime
    tool: str
    tool_version: str | None = None
    dimensions_assessed: list[str]
    participants: list[str] = Field(description="Authorities or functions, as the tovholder recorded them")


class Assessment(_Model):
    at_risk: bool
    summary_ref: str | None = None
    issued_at: AwareDatetime


class RecommendedMeasure(_Model):
    measure: str
    responsible_authority: str
    proposed_legal_basis: str | None = None


class Handover(_Model):
    to_authority: str
    at: AwareDatetime


class CaseRecord(_Model):
    """What each stage of the case recorded, without who signed it."""

    triage: Triage | None = None
    screening: Screening | None = None
    analysis: Analysis | None = None
    assessment: Assessment | None = None
    recommendations: list[RecommendedMeasure] = []
    handovers: list[Handover] = []
    follow_up_due: date | None = None


class CaseAboutPerson(_Model):
    case_id: UUID
    concern_id: UUID
    reference: str
    subject_path: str
    municipality: str
    state: str
    priority: str
    flags: list[str]
    opened_at: AwareDatetime
    triage_due_at: AwareDatetime
    closed_at: AwareDatetime | None
    close_reason: str | None
    record: CaseRecord
    timeline: list[TimelineStep]
    tasks: list[TaskStep]
    deadlines: list[Deadline]


class UnderretningAboutPerson(_Model):
    underretning_id: UUID
    concern_id: UUID
    case_id: UUID | None
    reference: str
    subject: str
    municipality: str
    legal_type: str
    origin: str
    state: str
    received_at: AwareDatetime
    assessment_due_at: AwareDatetime
    assessed_at: AwareDatetime | None
    acute_measures_needed: bool | None
    assessment_note: str | None
    receipt_confirmation_due_date: date | None
    receipt_confirmed_at: AwareDatetime | None
    professional_orientation_required: bool
    oriented_at: AwareDatetime | None
    orientation_outcome: str | None
    forwarded_to: str | None
    forwarded_at: AwareDatetime | None
    tasks: list[TaskStep]
    deadlines: list[Deadline]


class RoutingPart(_Model):
    service: Literal["routing"] = "routing"
    persons: list[PersonFacts]
    cases: list[CaseAboutPerson]
    underretninger: list[UnderretningAboutPerson]
    consultations: list[Consultation]


# --- audit: the disclosures ---------------------------------------------------------------------------


class DisclosureAboutPerson(_Model):
    """A record of the disclosure log about the person: to or from whom, when, on which basis, why."""

    record_id: UUID
    kind: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    discloser_authority: str
    discloser_unit: str
    recipient_authority: str
    recipient_unit: str | None
    recipient_is_cooperation_participant: bool
    channel: str
    legal_basis: str
    cooperation_form: str
    purpose: str
    data_categories: list[str]
    source_of_data: str
    subject_information_status: str
    delivery_status: str
    concern_id: UUID | None
    infohus_case_id: UUID | None
    underretning_id: UUID | None
    retention_until: date


class AuditPart(_Model):
    service: Literal["audit"] = "audit"
    disclosures: list[DisclosureAboutPerson]
    consultations: list[Consultation]


# --- notify: the mails --------------------------------------------------------------------------------


class MailAbout(_Model):
    """A mail about one of the person's concerns: which mailbox, why, when; never its address or text."""

    notification_id: UUID
    concern_id: UUID
    reference: str
    destination: str
    purpose: str
    state: str
    created_at: AwareDatetime
    sent_at: AwareDatetime | None


class NotifyPart(_Model):
    service: Literal["notify"] = "notify"
    holds_personal_data: bool = Field(description="Whether notify keeps name, CPR number, story or contact "
                                                  "data of the person (by design: never)")
    statement_da: str
    mails: list[MailAbout]


# --- the bundle ---------------------------------------------------------------------------------------


class SubjectAccessBundle(_Model):
    """Everything Infohus holds about one person, as the workspace hands it to the administrator."""

    format: Literal["infohus.subject-access.v1"] = BUNDLE_FORMAT
    request_id: UUID
    created_at: AwareDatetime
    cpr: str
    reason: str
    notes_da: list[str]
    intake: IntakePart
    routing: RoutingPart
    audit: AuditPart
    notify: NotifyPart
