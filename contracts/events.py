"""Event payloads, version 1. A breaking change adds a new class with ``schema_version = 2``.

Events that cross the broker carry references, codes and deadlines. Personal data travels
only inside ``ConcernSubmitted`` (intake → routing), which routing needs to decide.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import EmailStr, Field, model_validator

from contracts.concern import ConcernIn
from contracts.envelope import EventPayload
from rules.codes import (
    CooperationForm,
    DataCategory,
    DisclosureChannel,
    DisclosureDeliveryStatus,
    DisclosureKind,
    LegalBasis,
    OnwardCondition,
    Purpose,
    SourceOfData,
    SubjectInformationStatus,
)


class Destination(StrEnum):
    INFOHUS_TK = "INFOHUS_TK"
    UNDERRETNING = "UNDERRETNING"
    OOH_ESCALATION = "OOH_ESCALATION"
    JURISDICTION_REVIEW = "JURISDICTION_REVIEW"
    OPS_ALERT = "OPS_ALERT"
    REPORTER = "REPORTER"  # the person who made the report, at the address a caseworker gave: the § 138 receipt


class Priority(StrEnum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"


class ConcernSubmitted(EventPayload):
    event_type = "ConcernSubmitted"

    concern_id: UUID
    reference: str
    received_at: datetime
    concern: ConcernIn
    recorded_by: str | None = None
    """Who entered it: the staff member or partner user's id for an entered channel, ``system`` for WEB.
    None from producers that predate the field."""


class ConcernRouted(EventPayload):
    """Routing holds the concern and has decided it (opened its cases, or linked it to the original as a near
    duplicate): intake's acknowledgement that its ``ConcernSubmitted`` arrived. Sent again whenever intake asks
    again (intake's reconciliation, ``services/intake/service_layer/reconcile.py``). Ids only."""

    event_type = "ConcernRouted"

    concern_id: UUID
    reference: str
    routed_at: datetime


class CaseOpened(EventPayload):
    """Routing opened an infohus case (and possibly underretninger) for a concern."""

    event_type = "CaseOpened"

    concern_id: UUID
    reference: str
    infohus_case_id: UUID
    subject_index: int
    priority: Priority
    age_bands: list[str]
    triage_due_at: datetime
    underretning_ids: list[UUID] = []
    decision_id: UUID
    config_version: str
    # The case's subject may be under 18, age conflicts included (a band alone can say ADULT while another
    # source said minor). None from producers that predate the field: consumers then fall back to the band.
    subject_minor_possible: bool | None = None
    # What audit derives a disclosure record's facts from instead of trusting its caller (None from producers
    # that predate the fields): the reporter was ANONYMOUS; the case's subject (routing's person id) and the
    # day they turn 18, where a CPR number or a date of birth gave it (none from a stated age alone).
    reporter_anonymous: bool | None = None
    subject_person_id: str | None = None
    subject_adult_from: date | None = None


class NotificationPurpose(StrEnum):
    NEW_CASE = "NEW_CASE"
    SUPPLEMENT = "SUPPLEMENT"
    DEADLINE_WARNING = "DEADLINE_WARNING"
    OOH_ESCALATION = "OOH_ESCALATION"
    ALERT = "ALERT"
    RECEIPT_CONFIRMATION = "RECEIPT_CONFIRMATION"  # barnets lov § 138, stk. 1: the receipt to the reporter


class Deadline(EventPayload):
    """A named deadline shown in a notification (not an event of its own)."""

    event_type = "Deadline"

    label: str
    due_at: datetime | None = None
    due_date: date | None = None


class NotificationRequested(EventPayload):
    """Ask notify to mail a mailbox. Reference-only content: no narrative, no names, no contact data.

    The one exception is ``recipient_address``: for destination REPORTER (the § 138 receipt) the address
    a caseworker gave for the reporter, and only there; every other destination is a configured mailbox.
    """

    event_type = "NotificationRequested"

    notification_id: UUID
    concern_id: UUID
    reference: str
    destination: Destination
    purpose: NotificationPurpose
    priority: Priority
    acute: bool
    age_bands: list[str]
    flags: list[str] = []
    deadlines: list[Deadline] = []
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None
    recipient_address: EmailStr | None = None
    received_at: datetime | None = None  # when the municipality received the underretning: the receipt says so

    @model_validator(mode="after")
    def _address_only_for_the_reporter(self) -> NotificationRequested:
        if self.destination is Destination.REPORTER and (self.recipient_address is None or self.received_at is None):
            raise ValueError("a notification to the REPORTER needs recipient_address and received_at")
        if self.destination is not Destination.REPORTER and self.recipient_address is not None:
            raise ValueError("recipient_address is only for destination REPORTER; mailboxes are configured")
        if (self.destination is Destination.REPORTER) != (self.purpose is NotificationPurpose.RECEIPT_CONFIRMATION):
            raise ValueError("a reporter is sent the receipt (RECEIPT_CONFIRMATION) and nothing else")
        return self


class NotificationSent(EventPayload):
    event_type = "NotificationSent"

    notification_id: UUID
    concern_id: UUID
    destination: Destination
    recipient: str
    message_id: str
    sent_at: datetime


class DisclosureRecorded(EventPayload):
    """A disclosure of personal data happened; audit appends it to the § 115 log.

    Field names follow docs/legal.md §D1, the code lists §D2 (``rules.codes``). Audit checks the
    invariants before appending.
    """

    event_type = "DisclosureRecorded"

    record_id: UUID
    kind: DisclosureKind
    occurred_at: datetime
    decision_at: datetime | None = None
    concern_id: UUID | None = None
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None
    subject_person_ids: list[str] = Field(min_length=1)
    subject_cpr_hmacs: list[str] = []
    subject_age_at_occurrence: int | None = None
    other_person_ids: list[str] = []
    discloser_authority: str
    discloser_unit: str
    executed_by: str
    decided_by: str | None = None
    recipient_authority: str
    recipient_unit: str | None = None
    recipient_persons: list[str] = []
    recipient_is_cooperation_participant: bool = False
    channel: DisclosureChannel
    transport_ref: str | None = None
    content_hash: str | None = None
    content_manifest: list[str] = Field(min_length=1)
    legal_basis: LegalBasis
    cooperation_form: CooperationForm = CooperationForm.NONE
    legal_basis_note: str | None = None
    purpose: Purpose
    purpose_description: str
    not_for_investigation: bool = False
    necessity_assessment: str | None = None
    data_categories: list[DataCategory] = Field(min_length=1)
    source_of_data: SourceOfData
    source_record_id: UUID | None = None
    onward_conditions_communicated: list[OnwardCondition] = []
    subject_information_status: SubjectInformationStatus = SubjectInformationStatus.PENDING
    review_at: date | None = None  # when a DEFERRED_* subject information is to be reviewed (Q14)
    consent_ref: str | None = None
    request_ref: str | None = None  # the request a disclosure answers (PETL4_ON_REQUEST)
    reporter_anonymous: bool = False  # the concern came from an ANONYMOUS reporter: invariant I10 applies
    delivery_status: DisclosureDeliveryStatus = DisclosureDeliveryStatus.DELIVERED
    corrects_record_id: UUID | None = None
    retention_until: date
    routing_table_version: str
    system_version: str


# --- routing: deadlines and the infohus case lifecycle (appended by routing) ------------------------


class DeadlineKind(StrEnum):
    TRIAGE_75 = "TRIAGE_75"  # 75 % (the configured warning fraction) of the infohus triage SLA has passed
    TRIAGE_BREACHED = "TRIAGE_BREACHED"
    ASSESSMENT_AT_RISK = "ASSESSMENT_AT_RISK"  # barnets lov § 136, stk. 2: the 24-hour assessment is at risk
    ASSESSMENT_BREACHED = "ASSESSMENT_BREACHED"
    RECEIPT_BREACHED = "RECEIPT_BREACHED"  # barnets lov § 138, stk. 1: receipt not confirmed in 6 hverdage


class DeadlineReached(EventPayload):
    """A deadline fell due and the clock is still running (or stopped too late). Emitted once per kind.

    References and times only. ``out_of_hours`` says the office was closed when the event was emitted.
    """

    event_type = "DeadlineReached"

    deadline_id: UUID  # the clock
    kind: DeadlineKind
    concern_id: UUID
    reference: str
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None
    due_at: datetime
    reached_at: datetime
    priority: Priority
    out_of_hours: bool
    # The case's classification when the event was emitted (after any correction), for the mail to show;
    # empty from producers that predate the fields.
    age_bands: list[str] = []
    flags: list[str] = []


class UnderretningUpdated(EventPayload):
    """An underretning was registered or StraXen acted on it. Dates and states only, no narrative:
    what auditors check for barnets lov §§ 133-138 (docs/legal.md §D4 Q9)."""

    event_type = "UnderretningUpdated"

    underretning_id: UUID
    concern_id: UUID
    reference: str
    infohus_case_id: UUID | None = None
    legal_type: str
    origin: str
    state: str
    received_at: datetime
    assessment_due_at: datetime
    receipt_confirmation_due_date: date | None = None
    professional_orientation_required: bool = False
    assessed_at: datetime | None = None
    receipt_confirmed_at: datetime | None = None
    oriented_at: datetime | None = None
    forwarded_at: datetime | None = None
    updated_at: datetime


class CaseTransitioned(EventPayload):
    """An infohus case changed state (or recorded a step) through the tovholdere's case API."""

    event_type = "CaseTransitioned"

    concern_id: UUID
    reference: str
    infohus_case_id: UUID
    action: str
    from_state: str
    to_state: str
    actor: str
    actor_role: str
    at: datetime
    # The case's classification after the step, when the step corrected it (an age corrected, the priority
    # raised, the flags recomputed); None otherwise. Notify brings the mails it has not yet sent up to date.
    priority: Priority | None = None
    age_bands: list[str] | None = None
    flags: list[str] | None = None


# --- notify: delivery status and dead letters (appended by notify) --------------------------------


class DeliveryStatus(StrEnum):
    QUEUED = "QUEUED"  # notify recorded the notification; a mail will be sent
    RETRYING = "RETRYING"  # an attempt failed (connection, 4xx, interrupted); another follows at next_attempt_at
    SENT = "SENT"  # the SMTP relay accepted the mail
    DEAD_LETTERED = "DEAD_LETTERED"  # 5xx, retries exhausted or no mailbox configured: not delivered
    OVERDUE = "OVERDUE"  # the watchdog found it undelivered after the configured time and raised an alert
    UNCERTAIN = "UNCERTAIN"  # interrupted after DATA; held for a person to check (policy "hold")


class DeliveryStatusChanged(EventPayload):
    """A notification's delivery changed state; feeds the case timeline. References and codes only."""

    event_type = "DeliveryStatusChanged"

    notification_id: UUID
    concern_id: UUID
    reference: str
    destination: Destination
    purpose: NotificationPurpose
    status: DeliveryStatus
    attempt: int
    occurred_at: datetime
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None
    message_id: str | None = None
    next_attempt_at: datetime | None = None
    detail: str | None = None  # e.g. "SMTP 451 ved DATA"; never mail content or addresses of persons


class NotificationDeadLettered(EventPayload):
    """A notification was given up: its request went to notify's dead-letter topic and ops were alerted."""

    event_type = "NotificationDeadLettered"

    notification_id: UUID
    concern_id: UUID
    reference: str
    destination: Destination
    purpose: NotificationPurpose
    reason: str
    smtp_code: int | None = None
    attempts: int
    dead_lettered_at: datetime
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None


# --- routing: retention and legal holds (appended by routing) --------------------------------------


class RetentionChange(StrEnum):
    HELD = "HELD"  # a legal hold now covers the concern: delete nothing of it, in any service
    HOLD_LIFTED = "HOLD_LIFTED"  # no legal hold covers it any more: its periods run again
    ERASED = "ERASED"  # routing erased its cases (closed, their period over): erase what you keep of it


class ConcernRetentionChanged(EventPayload):
    """Routing, which owns the cases and the legal holds, tells the services that keep data about a concern
    what they may delete of it (docs/legal.md §A3). Ids and codes only."""

    event_type = "ConcernRetentionChanged"

    concern_id: UUID
    change: RetentionChange
    at: datetime
