"""Routing's and notify's events as audit receives them, for the fact and query tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from contracts.envelope import Envelope, EventPayload
from contracts.events import (
    CaseOpened,
    CaseTransitioned,
    Destination,
    NotificationDeadLettered,
    NotificationPurpose,
    NotificationSent,
    Priority,
    UnderretningUpdated,
)

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def wrap(payload: EventPayload, *, producer: str = "routing", at: datetime | None = None) -> Envelope[Any]:
    extra = {} if at is None else {"occurred_at": at}
    correlation = getattr(payload, "concern_id", None) or uuid4()
    return Envelope.wrap(payload, producer=producer, correlation_id=correlation, **extra)


def case_opened(case: int, *, concern: int | None = None, bands: tuple[str, ...] = ("MINOR",), subject_index: int = 0,
                underretninger: tuple[int, ...] = (), at: datetime = RECEIVED,
                minor_possible: bool | None = None, **derivable: Any) -> Envelope[CaseOpened]:
    """``derivable``: ``reporter_anonymous``, ``subject_person_id``, ``subject_adult_from``."""
    return wrap(CaseOpened(
        concern_id=UUID(int=concern or case), reference=f"REF-{concern or case}", infohus_case_id=UUID(int=case),
        subject_index=subject_index, priority=Priority.P2, age_bands=list(bands),
        triage_due_at=at + timedelta(days=2), underretning_ids=[UUID(int=u) for u in underretninger],
        decision_id=uuid4(), config_version="ishoj-2026.1", subject_minor_possible=minor_possible, **derivable), at=at)


def case_transitioned(case: int, action: str, to_state: str, at: datetime, *, concern: int | None = None,
                      from_state: str = "RECEIVED") -> Envelope[CaseTransitioned]:
    return wrap(CaseTransitioned(
        concern_id=UUID(int=concern or case), reference=f"REF-{concern or case}", infohus_case_id=UUID(int=case),
        action=action, from_state=from_state, to_state=to_state, actor="user-3", actor_role="TOVHOLDER_MUNICIPAL",
        at=at))


def underretning(n: int, *, case: int | None = None, concern: int | None = None, received: datetime = RECEIVED,
                 updated: datetime | None = None, **fields: Any) -> Envelope[UnderretningUpdated]:
    values: dict[str, Any] = {
        "underretning_id": UUID(int=n), "concern_id": UUID(int=concern or case or n),
        "reference": f"REF-{concern or case or n}", "infohus_case_id": None if case is None else UUID(int=case),
        "legal_type": "BL133_UNDERRETNING", "origin": "ROUTING", "state": "REGISTERED", "received_at": received,
        "assessment_due_at": received + timedelta(hours=24),
        "receipt_confirmation_due_date": date(2026, 3, 10), "professional_orientation_required": False,
        "updated_at": updated or received, **fields}
    return wrap(UnderretningUpdated(**values))


def mail_sent(n: int, recipient: str, *, concern: int, message_id: str | None = None,
              at: datetime = RECEIVED) -> Envelope[NotificationSent]:
    return wrap(NotificationSent(
        notification_id=UUID(int=n), concern_id=UUID(int=concern), destination=Destination.INFOHUS_TK,
        recipient=recipient, message_id=message_id or f"<{n}@infohus.ishoj.dk>", sent_at=at), producer="notify")


def mail_dead_lettered(n: int, *, concern: int, reason: str = "SMTP 550 ved RCPT",
                       at: datetime = RECEIVED) -> Envelope[NotificationDeadLettered]:
    return wrap(NotificationDeadLettered(
        notification_id=UUID(int=n), concern_id=UUID(int=concern), reference=f"REF-{concern}",
        destination=Destination.UNDERRETNING, purpose=NotificationPurpose.NEW_CASE, reason=reason, smtp_code=550,
        attempts=5, dead_lettered_at=at), producer="notify")
