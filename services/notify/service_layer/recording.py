"""Writing deliveries and the events that say what happened to them, inside the caller's transaction."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID, uuid5

from contracts.envelope import Envelope, EventPayload
from contracts.events import (
    DeliveryStatus,
    DeliveryStatusChanged,
    Destination,
    NotificationDeadLettered,
    NotificationPurpose,
    NotificationRequested,
    NotificationSent,
)
from infohus.kit.outbox import current_trace_headers
from infohus.kit.telemetry import current_trace_id
from services.notify.adapters.repository import Delivery
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.content import (
    AlertKind,
    MailContent,
    alert_content,
    case_link,
    content_for_request,
    receipt_content,
)
from services.notify.domain.delivery import Origin, State
from services.notify.domain.mail import message_id_for
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)
PRODUCER = "notify"


@dataclass(frozen=True)
class NewDelivery:
    notification_id: UUID
    concern_id: UUID
    reference: str
    destination: str
    purpose: str
    origin: Origin
    content: MailContent
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None
    source_topic: str | None = None
    source_event: str | None = None
    recipient_address: str | None = None  # destination REPORTER only


def request_delivery(n: NotificationRequested, settings: NotifySettings, *, origin: Origin,
                     source_topic: str | None = None, source_event: str | None = None) -> NewDelivery:
    if n.destination is Destination.REPORTER:
        sender = settings.receipt_sender()
        content = receipt_content(n, municipality=sender.municipality, unit=sender.unit, phone=sender.phone)
    else:
        content = content_for_request(n, link=case_link(
            settings.workspace_url, destination=n.destination.value, underretning_id=n.underretning_id,
            infohus_case_id=n.infohus_case_id, reference=n.reference))
    return NewDelivery(notification_id=n.notification_id, concern_id=n.concern_id, reference=n.reference,
                       destination=n.destination.value, purpose=n.purpose.value, origin=origin,
                       content=content, infohus_case_id=n.infohus_case_id, underretning_id=n.underretning_id,
                       source_topic=source_topic, source_event=source_event, recipient_address=n.recipient_address)


def recipient_of(new: NewDelivery, settings: NotifySettings) -> str | None:
    """A reporter is mailed at the address routing was given, never at a configured mailbox; every other
    destination at its configured mailbox."""
    if new.destination == Destination.REPORTER.value:
        return new.recipient_address
    return settings.mailboxes().get(new.destination)


async def record(tx: NotifyUnitOfWork, new: NewDelivery, *, settings: NotifySettings, now: datetime,
                 causation_id: UUID | None = None) -> Delivery | None:
    """Add a PENDING delivery (or, with no mailbox for its destination, dead-letter it at once). None, with
    nothing written, when a delivery with its notification id exists already (once per notification)."""
    recipient = recipient_of(new, settings)
    delivery = await tx.deliveries.add_new(
        notification_id=new.notification_id, concern_id=new.concern_id, reference=new.reference,
        destination=new.destination, purpose=new.purpose, recipient=recipient,
        message_id=message_id_for(new.notification_id, settings.mail_from.split("@")[1]),
        state=State.PENDING, attempts=0, created_at=now, next_attempt_at=now, origin=new.origin,
        infohus_case_id=new.infohus_case_id, underretning_id=new.underretning_id,
        content=new.content.model_dump_json(), trace_id=current_trace_id(),
        trace_context=json.dumps(current_trace_headers()), source_topic=new.source_topic,
        source_event=new.source_event)
    if delivery is None:
        return None
    if recipient is None:
        await dead_letter(tx, delivery, token=None, reason=f"no mailbox configured for {new.destination}",
                          code=None, settings=settings, now=now, causation_id=causation_id)
    else:
        await tx.outbox.add(status_event(delivery, DeliveryStatus.QUEUED, now=now, causation_id=causation_id))
    return delivery


async def dead_letter(tx: NotifyUnitOfWork, delivery: Delivery, *, token: str | None, reason: str, code: int | None,
                      settings: NotifySettings, now: datetime, causation_id: UUID | None = None) -> bool:
    """Give the delivery up: NotificationDeadLettered, status, an ops alert, and (by the worker) the DLT."""
    if not await tx.deliveries.mark_dead_lettered(delivery.notification_id, token, now=now, error=reason):
        return False
    log.error("notification %s (%s, %s) dead-lettered: %s", delivery.notification_id, delivery.reference,
              delivery.destination, reason)
    await tx.outbox.add(_wrap(NotificationDeadLettered(
        notification_id=delivery.notification_id, concern_id=delivery.concern_id, reference=delivery.reference,
        destination=Destination(delivery.destination), purpose=NotificationPurpose(delivery.purpose), reason=reason,
        smtp_code=code, attempts=delivery.attempts, dead_lettered_at=now, infohus_case_id=delivery.infohus_case_id,
        underretning_id=delivery.underretning_id), delivery, causation_id))
    await tx.outbox.add(status_event(delivery, DeliveryStatus.DEAD_LETTERED, now=now, detail=reason,
                                     causation_id=causation_id))
    await queue_alert(tx, AlertKind.DEAD_LETTERED, about=delivery, detail=reason, settings=settings, now=now)
    return True


async def queue_alert(tx: NotifyUnitOfWork, kind: AlertKind, *, about: Delivery, detail: str,
                      settings: NotifySettings, now: datetime) -> None:
    """One alert mail per (delivery, kind, re-drive) to the ops mailbox. Never an alert about an alert."""
    if about.origin == Origin.ALERT:
        log.error("alert %s for notification %s could not be delivered: %s", about.reference,
                  about.notification_id, detail)
        return
    alert_id = alert_id_for(about, kind)
    if not settings.mailboxes().get(Destination.OPS_ALERT.value):
        log.error("no ops mailbox configured: alert %s about notification %s (%s) is not mailed",
                  kind.value, about.notification_id, about.reference)
        return
    original = MailContent.model_validate_json(about.content) if about.content else None
    link = (original.link if original and original.link else case_link(
        settings.workspace_url, destination=about.destination, underretning_id=about.underretning_id,
        infohus_case_id=about.infohus_case_id, reference=about.reference))
    content = alert_content(kind, about=original, reference=about.reference, destination=about.destination,
                            notification_id=str(about.notification_id), detail=detail, link=link)
    await record(tx, NewDelivery(notification_id=alert_id, concern_id=about.concern_id, reference=about.reference,
                                 destination=Destination.OPS_ALERT.value, purpose=NotificationPurpose.ALERT.value,
                                 origin=Origin.ALERT, content=content, infohus_case_id=about.infohus_case_id,
                                 underretning_id=about.underretning_id),
                 settings=settings, now=now)


def alert_id_for(about: Delivery, kind: AlertKind) -> UUID:
    """Stable per delivery and kind; a re-driven delivery that fails again gets a new alert."""
    name = f"notify-alert:{kind.value}" + (f":redrive-{about.redrive_count}" if about.redrive_count else "")
    return uuid5(about.notification_id, name)


def status_event(delivery: Delivery, status: DeliveryStatus, *, now: datetime, detail: str | None = None,
                 next_attempt_at: datetime | None = None, causation_id: UUID | None = None,
                 ) -> Envelope[DeliveryStatusChanged]:
    return _wrap(DeliveryStatusChanged(
        notification_id=delivery.notification_id, concern_id=delivery.concern_id, reference=delivery.reference,
        destination=Destination(delivery.destination), purpose=NotificationPurpose(delivery.purpose), status=status,
        attempt=delivery.attempts, occurred_at=now, infohus_case_id=delivery.infohus_case_id,
        underretning_id=delivery.underretning_id, message_id=delivery.message_id, next_attempt_at=next_attempt_at,
        detail=detail), delivery, causation_id)


def sent_event(delivery: Delivery, *, sent_at: datetime, causation_id: UUID | None = None,
               ) -> Envelope[NotificationSent]:
    return _wrap(NotificationSent(notification_id=delivery.notification_id, concern_id=delivery.concern_id,
                                  destination=Destination(delivery.destination), recipient=delivery.recipient or "",
                                  message_id=delivery.message_id, sent_at=sent_at), delivery, causation_id)


P = TypeVar("P", bound=EventPayload)


def _wrap(payload: P, delivery: Delivery, causation_id: UUID | None) -> Envelope[P]:
    return Envelope.wrap(payload, producer=PRODUCER, correlation_id=delivery.concern_id, causation_id=causation_id)
