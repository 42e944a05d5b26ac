"""The § 138, stk. 1 receipt to the reporter: recorded by StraXen (sent another way), or mailed by Infohus.

A caseworker either records how and when the receipt went (``method`` and ``sent_at``), or gives the
reporter's work address (``send_to``): routing then asks notify for a content-free receipt mail, the task
stays open ("receipt mail requested"), and notify's SENT status completes it with the mail's sent time
and stops the receipt clock. A dead-lettered mail leaves the task open for the caseworker to act on.

Routing keeps no address: it travels in the request to notify only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from contracts.events import DeliveryStatus, Destination, NotificationPurpose, NotificationRequested, Priority
from services.routing.domain.actors import Actor
from services.routing.domain.casework import Underretning
from services.routing.domain.entered_times import Earliest, checked_entered_time
from services.routing.domain.errors import TransitionNotAllowed
from services.routing.domain.tasks import COMPLETED_BY_ROLE, Task, TaskState

MAILS = "receipt_mails"
"""Task detail: the receipt mails requested for the task, oldest first (ids, who, when, delivery status)."""
ORIENTATION_TO_FOLLOW = "ORIENTATION_TO_FOLLOW"
"""Flag on the request: the reporter will be told what was started (§ 138, stk. 2); the mail says so."""


class ReceiptOutcome(StrEnum):
    CONFIRMED = "CONFIRMED"  # a caseworker recorded a receipt sent another way (phone, letter, digital post)
    SENT_BY_INFOHUS = "SENT_BY_INFOHUS"  # Infohus mailed it; the relay accepted it at ``sent_at``


def checked_sent_at(sent_at: datetime, *, received_at: datetime, now: datetime, skew: timedelta) -> datetime:
    """A time a person entered: not before the underretning was received, not in the future (a client clock
    up to ``skew`` ahead is taken as now). An earlier time would stop the § 138 clock unearned."""
    return checked_entered_time(sent_at, field="sent_at", now=now, skew=skew, earliest=Earliest(
        received_at, da="underretningen blev modtaget", en="the underretning"))


def pending_mail(task: Task) -> dict[str, Any] | None:
    """The receipt mail on its way (requested, not given up), if any."""
    mails: list[dict[str, Any]] = task.details.get(MAILS, [])
    return next((m for m in reversed(mails) if m["status"] != DeliveryStatus.DEAD_LETTERED.value), None)


def request_mail(task: Task, u: Underretning, actor: Actor, *, reference: str, priority: Priority, send_to: str,
                 now: datetime) -> NotificationRequested:
    """Ask notify for the receipt mail; the task records the request (and stays open until it is sent)."""
    task.check_actor(actor)
    if task.state is not TaskState.OPEN:
        raise TransitionNotAllowed(f"the task is already {task.state}")
    if pending_mail(task) is not None:
        raise TransitionNotAllowed("En kvitteringsmail er allerede på vej / a receipt mail is already on its way")
    attempt = len(task.details.get(MAILS, [])) + 1
    notification_id = uuid5(task.task_id, f"receipt-mail:{attempt}")
    task.add_detail(MAILS, {"notification_id": str(notification_id), "requested_at": now.isoformat(),
                            "requested_by": actor.user_id, "requested_by_role": actor.role_name,
                            "status": "REQUESTED"})
    return NotificationRequested(
        notification_id=notification_id, concern_id=u.concern_id, reference=reference,
        destination=Destination.REPORTER, purpose=NotificationPurpose.RECEIPT_CONFIRMATION, priority=priority,
        acute=False, age_bands=[], flags=[ORIENTATION_TO_FOLLOW] if u.professional_orientation_required else [],
        infohus_case_id=u.case_id, underretning_id=u.underretning_id, recipient_address=send_to,
        received_at=u.received_at)


def mail_status(task: Task, notification_id: UUID, status: DeliveryStatus, at: datetime) -> dict[str, Any] | None:
    """Record notify's status on the task's mail entry; the entry, or None when the task asked for no such mail."""
    mails: list[dict[str, Any]] = task.details.get(MAILS, [])
    entry = next((m for m in mails if m["notification_id"] == str(notification_id)), None)
    if entry is None:
        return None
    updated = {**entry, "status": status.value, "status_at": at.isoformat()}
    task.details = {**task.details, MAILS: [updated if m is entry else m for m in mails]}
    return updated


def complete_by_mail(task: Task, entry: dict[str, Any], *, sent_at: datetime, message_id: str | None) -> bool:
    """The relay accepted the receipt mail: the task is done, in the name of who asked for it. False when the
    task was completed meanwhile (e.g. the caseworker recorded a phone call)."""
    if task.state is not TaskState.OPEN:
        return False
    task.state, task.completed_at, task.completed_by = TaskState.DONE, sent_at, entry["requested_by"]
    task.outcome = ReceiptOutcome.SENT_BY_INFOHUS.value
    task.details = {**task.details, "sent_at": sent_at.isoformat(), "method": "e-mail (Infohus)",
                    "notification_id": entry["notification_id"], "message_id": message_id,
                    COMPLETED_BY_ROLE: entry.get("requested_by_role")}
    return True
