"""The consumers of routing's case and underretning events and notify's mail events: they keep the
facts Q9, Q12 and Q17 need (``domain/facts.py``). Each is idempotent through the inbox: the fact and
the ``processed_events`` row commit in one transaction, so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from contracts.envelope import Envelope, EventPayload
from contracts.events import (
    CaseOpened,
    CaseTransitioned,
    NotificationDeadLettered,
    NotificationSent,
    UnderretningUpdated,
)
from services.audit.adapters.repository import FactsRepository
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.domain.facts import (
    CLOSED_STATE,
    DEAD_LETTERED,
    SENT,
    TRIAGE_COMPLETED,
    end_of_danish_day,
    minor_possible,
    recipient_domain,
    scrub_reason,
)
from services.audit.domain.values import format_utc

Apply = Callable[[FactsRepository], Awaitable[None]]


async def _once(envelope: Envelope[Any], uow: AuditUnitOfWork, apply: Apply) -> None:
    async with uow:
        if not await uow.inbox.claim(envelope.event_id):
            return
        await apply(uow.facts)
        await uow.commit()


def _utc(value: Any) -> str | None:
    return None if value is None else format_utc(value)


async def handle_case_opened(envelope: Envelope[CaseOpened], *, uow: AuditUnitOfWork) -> None:
    event = envelope.payload
    values = {"infohus_case_id": str(event.infohus_case_id), "concern_id": str(event.concern_id),
              "reference": event.reference, "subject_index": event.subject_index,
              "age_bands": ",".join(event.age_bands),
              "minor_possible": (event.subject_minor_possible if event.subject_minor_possible is not None
                                 else minor_possible(event.age_bands, event.subject_index)),
              "underretning_ids": ",".join(str(u) for u in event.underretning_ids),
              "underretning_count": len(event.underretning_ids),
              "opened_at": _utc(envelope.occurred_at),
              "reporter_anonymous": event.reporter_anonymous, "subject_person_id": event.subject_person_id,
              "subject_adult_from": None if event.subject_adult_from is None else event.subject_adult_from.isoformat()}

    async def apply(facts: FactsRepository) -> None:
        await facts.case_opened(values)

    await _once(envelope, uow, apply)


async def handle_case_transitioned(envelope: Envelope[CaseTransitioned], *, uow: AuditUnitOfWork) -> None:
    event = envelope.payload
    at = _utc(event.at)
    triage = event.action == TRIAGE_COMPLETED

    async def apply(facts: FactsRepository) -> None:
        await facts.case_transitioned(
            infohus_case_id=str(event.infohus_case_id), concern_id=str(event.concern_id), reference=event.reference,
            triage_outcome=event.to_state if triage else None, triage_completed_at=at if triage else None,
            closed_at=at if event.to_state == CLOSED_STATE else None)

    await _once(envelope, uow, apply)


async def handle_underretning_updated(envelope: Envelope[UnderretningUpdated], *, uow: AuditUnitOfWork) -> None:
    event = envelope.payload
    due_date = event.receipt_confirmation_due_date
    values = {"underretning_id": str(event.underretning_id), "concern_id": str(event.concern_id),
              "reference": event.reference,
              "infohus_case_id": None if event.infohus_case_id is None else str(event.infohus_case_id),
              "legal_type": event.legal_type, "origin": event.origin, "state": event.state,
              "received_at": _utc(event.received_at), "assessment_due_at": _utc(event.assessment_due_at),
              "receipt_confirmation_due_date": None if due_date is None else due_date.isoformat(),
              "receipt_confirmation_due_end": None if due_date is None else _utc(end_of_danish_day(due_date)),
              "professional_orientation_required": event.professional_orientation_required,
              "assessed_at": _utc(event.assessed_at), "receipt_confirmed_at": _utc(event.receipt_confirmed_at),
              "oriented_at": _utc(event.oriented_at), "forwarded_at": _utc(event.forwarded_at),
              "updated_at": _utc(event.updated_at)}

    async def apply(facts: FactsRepository) -> None:
        await facts.underretning_updated(values)

    await _once(envelope, uow, apply)


async def handle_notification_sent(envelope: Envelope[NotificationSent], *, uow: AuditUnitOfWork) -> None:
    event = envelope.payload
    values = {"notification_id": str(event.notification_id), "outcome": SENT, "concern_id": str(event.concern_id),
              "destination": str(event.destination), "recipient_domain": recipient_domain(event.recipient),
              "message_id": event.message_id[:500], "at": _utc(event.sent_at)}

    async def apply(facts: FactsRepository) -> None:
        await facts.mail(values)

    await _once(envelope, uow, apply)


async def handle_notification_dead_lettered(envelope: Envelope[NotificationDeadLettered], *,
                                            uow: AuditUnitOfWork) -> None:
    event = envelope.payload
    values = {"notification_id": str(event.notification_id), "outcome": DEAD_LETTERED,
              "concern_id": str(event.concern_id), "reference": event.reference,
              "destination": str(event.destination), "purpose": str(event.purpose),
              "at": _utc(event.dead_lettered_at), "reason": scrub_reason(event.reason),
              "smtp_code": event.smtp_code, "attempts": event.attempts,
              "infohus_case_id": None if event.infohus_case_id is None else str(event.infohus_case_id),
              "underretning_id": None if event.underretning_id is None else str(event.underretning_id)}

    async def apply(facts: FactsRepository) -> None:
        await facts.mail(values)

    await _once(envelope, uow, apply)


FACT_HANDLERS: tuple[tuple[type[EventPayload], Callable[..., Awaitable[None]]], ...] = (
    (CaseOpened, handle_case_opened),
    (CaseTransitioned, handle_case_transitioned),
    (UnderretningUpdated, handle_underretning_updated),
    (NotificationSent, handle_notification_sent),
    (NotificationDeadLettered, handle_notification_dead_lettered),
)
