"""Re-drive dead-lettered deliveries (``infohus notify redrive``, ``POST /api/v1/deliveries/{id}/redrive``).

Each re-drive is its own transaction: the row goes DEAD_LETTERED → PENDING (fresh attempt budget, same
Message-ID, the address as configured now), a ``DeliveryStatusChanged(QUEUED, "sendes igen efter
fejlrettelse")`` goes into the outbox, and who did it (user id only) is recorded. The update is
conditional on the row still being DEAD_LETTERED, so a SENT delivery is never mailed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from contracts.events import DeliveryStatus
from services.notify.adapters.repository import Delivery
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.delivery import State
from services.notify.domain.redrive import MESSAGES, REDRIVE_DETAIL, RedriveOutcome, redrive_refusal
from services.notify.service_layer.recording import status_event
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)
Via = Literal["HTTP", "CLI"]


@dataclass(frozen=True)
class RedriveResult:
    notification_id: UUID
    outcome: RedriveOutcome
    delivery: Delivery | None  # as it was before the re-drive

    @property
    def ok(self) -> bool:
        return self.outcome in (RedriveOutcome.REDRIVEN, RedriveOutcome.WOULD_REDRIVE)

    def messages(self) -> tuple[str, str]:
        da, en = MESSAGES[self.outcome]
        values = {"state": self.delivery.state if self.delivery else "",
                  "destination": self.delivery.destination if self.delivery else ""}
        return da.format(**values), en.format(**values)

    def as_dict(self) -> dict[str, Any]:
        """What ops see: ids, reference, destination, state and reason; never an address."""
        da, en = self.messages()
        out: dict[str, Any] = {"notification_id": str(self.notification_id), "outcome": self.outcome.value,
                               "message_da": da, "message_en": en}
        if self.delivery is not None:
            out |= summary(self.delivery)
        return out


def summary(d: Delivery) -> dict[str, Any]:
    """A delivery for ops (listing, dry run, CLI): references, codes, times and the failure; no address."""
    return {"notification_id": str(d.notification_id), "reference": d.reference, "destination": d.destination,
            "purpose": d.purpose, "origin": d.origin, "state": d.state, "attempts": d.attempts,
            "reason": d.last_error, "created_at": _iso(d.created_at), "sent_at": _iso(d.sent_at),
            "dead_lettered_at": _iso(d.dead_lettered_at), "next_attempt_at": _iso(d.next_attempt_at),
            "message_id": d.message_id, "redrive_count": d.redrive_count, "redriven_at": _iso(d.redriven_at),
            "redriven_by": d.redriven_by}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def redrive(uow: Callable[[], NotifyUnitOfWork], notification_id: UUID, *, by: str, via: Via,
                  settings: NotifySettings, now: datetime, dry_run: bool = False) -> RedriveResult:
    async with uow() as tx:
        delivery = await tx.deliveries.get(notification_id)
        if delivery is None:
            return RedriveResult(notification_id, RedriveOutcome.NOT_FOUND, None)
        recipient = settings.mailboxes().get(delivery.destination) or delivery.recipient
        refusal = redrive_refusal(state=delivery.state, has_recipient=recipient is not None,
                                  has_content=delivery.content is not None)
        if refusal is not None:
            return RedriveResult(notification_id, refusal, delivery)
        if dry_run:
            return RedriveResult(notification_id, RedriveOutcome.WOULD_REDRIVE, delivery)
        assert recipient is not None
        if not await tx.deliveries.redrive(delivery, now=now, recipient=recipient, by=by, via=via):
            # Changed meanwhile (another re-drive, or a late bookkeeping): report what it is now.
            current = await tx.deliveries.get(notification_id)
            assert current is not None
            refused = redrive_refusal(state=current.state, has_recipient=True, has_content=True)
            return RedriveResult(notification_id, refused or RedriveOutcome.NOT_DEAD_LETTERED, current)
        queued = replace(delivery, state=State.PENDING, attempts=0, recipient=recipient,
                         redrive_count=delivery.redrive_count + 1, redriven_at=now, redriven_by=by)
        await tx.outbox.add(status_event(queued, DeliveryStatus.QUEUED, now=now, detail=REDRIVE_DETAIL))
        await tx.commit()
    log.warning("notification %s (%s, %s) re-driven via %s after: %s", notification_id, delivery.reference,
                delivery.destination, via, delivery.last_error)
    return RedriveResult(notification_id, RedriveOutcome.REDRIVEN, delivery)


async def redrive_many(uow: Callable[[], NotifyUnitOfWork], notification_ids: Iterable[UUID], *, by: str, via: Via,
                       settings: NotifySettings, now: datetime, dry_run: bool = False) -> list[RedriveResult]:
    return [await redrive(uow, notification_id, by=by, via=via, settings=settings, now=now, dry_run=dry_run)
            for notification_id in notification_ids]


async def dead_lettered_ids(uow: Callable[[], NotifyUnitOfWork], *, since: datetime | None,
                            limit: int = 10_000) -> list[UUID]:
    async with uow() as tx:
        return [d.notification_id for d in await tx.deliveries.dead_lettered(since=since, limit=limit)]
