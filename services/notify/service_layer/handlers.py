"""Notify's message handlers: record what must be mailed, once per notification id.

A handler commits the delivery row, its status event and the inbox mark in one transaction and
returns: the Kafka offset is then committed and the broker is no longer needed for this mail. The
delivery worker sends it (and retries, and dead-letters) from the table, so an SMTP outage never
blocks the consumer and a redelivered message never sends a second mail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID, uuid5

from contracts.envelope import Envelope
from contracts.events import CaseTransitioned, DeadlineReached, NotificationRequested
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.content import MailContent, case_link, content_for_deadline, deadline_mails, reclassified
from services.notify.domain.delivery import Origin, State
from services.notify.service_layer.recording import NewDelivery, record, request_delivery, sent_event
from services.notify.settings import NotifySettings


async def handle_notification_requested(envelope: Envelope[NotificationRequested], *,
                                        uow: Callable[[], NotifyUnitOfWork], settings: NotifySettings,
                                        now: Callable[[], datetime], wake: Callable[[], None],
                                        source_topic: str | None = None) -> None:
    n = envelope.payload
    async with uow() as tx:
        if not await tx.inbox.claim(envelope.event_id):
            return
        new = request_delivery(n, settings, origin=Origin.REQUEST, source_topic=source_topic,
                               source_event=envelope.model_dump_json())
        if await record(tx, new, settings=settings, now=now(), causation_id=envelope.event_id) is None:
            existing = await tx.deliveries.get(n.notification_id)
            if existing is not None and existing.state == State.SENT:
                # Asked again (routing re-publishing what it saw no confirmation for): confirm again, send nothing.
                await tx.outbox.add(sent_event(existing, sent_at=existing.sent_at or now(),
                                               causation_id=envelope.event_id))
        tx.after_commit(wake)
        await tx.commit()


def deadline_notification_id(event: DeadlineReached, destination: str) -> UUID:
    """One reminder per clock, kind and mailbox, however often the event is delivered."""
    return uuid5(event.deadline_id, f"notify:deadline:{event.kind.value}:{destination}")


async def handle_deadline_reached(envelope: Envelope[DeadlineReached], *, uow: Callable[[], NotifyUnitOfWork],
                                  settings: NotifySettings, now: Callable[[], datetime], wake: Callable[[], None],
                                  source_topic: str | None = None) -> None:
    event = envelope.payload
    async with uow() as tx:
        if not await tx.inbox.claim(envelope.event_id):
            return
        for mail in deadline_mails(event):
            link = case_link(settings.workspace_url, destination=mail.destination.value,
                             underretning_id=event.underretning_id, infohus_case_id=event.infohus_case_id,
                             reference=event.reference)
            notification_id = deadline_notification_id(event, mail.destination.value)
            await record(tx, NewDelivery(
                notification_id=notification_id, concern_id=event.concern_id, reference=event.reference,
                destination=mail.destination.value, purpose=mail.purpose.value, origin=Origin.DEADLINE,
                content=content_for_deadline(event, mail, link=link), infohus_case_id=event.infohus_case_id,
                underretning_id=event.underretning_id, source_topic=source_topic,
                source_event=envelope.model_dump_json()), settings=settings, now=now(), causation_id=envelope.event_id)
        tx.after_commit(wake)
        await tx.commit()


async def handle_case_transitioned(envelope: Envelope[CaseTransitioned], *,
                                   uow: Callable[[], NotifyUnitOfWork]) -> None:
    """A case routing reclassified (an age corrected, its priority raised): the concern's mails not yet sent
    (waiting, retrying, dead-lettered for a re-drive) say the classification of now. The age bands are the
    concern's; the priority and flags the case's, so only its own mails take them."""
    event = envelope.payload
    async with uow() as tx:
        if not await tx.inbox.claim(envelope.event_id):
            return
        if event.priority is not None:
            for delivery in await tx.deliveries.unsent_for_concern(event.concern_id):
                if delivery.content is None:
                    continue
                own = delivery.infohus_case_id == event.infohus_case_id
                content = MailContent.model_validate_json(delivery.content)
                updated = reclassified(content, priority=event.priority.value if own else None,
                                       age_bands=event.age_bands, flags=event.flags if own else None)
                if updated != content:
                    await tx.deliveries.replace_content(delivery.notification_id, updated.model_dump_json())
        await tx.commit()
