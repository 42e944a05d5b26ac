"""Delivery status on the case timeline: what notify reports about a mail to a mailbox, in Danish.

An entry records which mailbox destination, which status and which attempt, the Message-ID once the relay
accepted the mail, and the reason code when it is retried or given up. References and codes only: never an
address of a person, never mail content. It changes nothing about the case (no state change, no new
version), so a tovholder working the case is never told it "changed since you read it" because a mail went out.
"""

from __future__ import annotations

from typing import Any

from contracts.events import DeliveryStatus, DeliveryStatusChanged, Destination
from infohus.kit.redact import mask_mail_addresses
from services.routing.domain.actors import Actor
from services.routing.domain.case import TimelineNote

ACTION = "DELIVERY_STATUS"
NOTIFY = Actor("system:notify", None)
"""The actor recorded for delivery entries: notify reported it, nobody acted."""

DESTINATION_TEXT: dict[Destination, str] = {
    Destination.INFOHUS_TK: "Infohus' tovholdere (TK-postkassen)",
    Destination.UNDERRETNING: "Underretningspostkassen",
    Destination.OOH_ESCALATION: "vagtberedskabet uden for åbningstid",
    Destination.JURISDICTION_REVIEW: "vurdering af rette kommune",
    Destination.OPS_ALERT: "driften",
    Destination.REPORTER: "underretteren (kvittering efter § 138, stk. 1)",
}

STATUS_TEXT: dict[DeliveryStatus, str] = {
    DeliveryStatus.QUEUED: "sat i kø til afsendelse",
    DeliveryStatus.RETRYING: "mislykkedes og forsøges igen",
    DeliveryStatus.SENT: "sendt (modtaget af mailserveren)",
    DeliveryStatus.DEAD_LETTERED: "ikke leveret (opgivet)",
    DeliveryStatus.OVERDUE: "ikke leveret i tide (driften er alarmeret)",
    DeliveryStatus.UNCERTAIN: "uvis (afventer manuel kontrol)",
}

WITH_REASON = frozenset({DeliveryStatus.RETRYING, DeliveryStatus.DEAD_LETTERED})
MAX_REASON_LENGTH = 200


def reason_code(detail: str) -> str:
    """The reason as notify gave it (e.g. ``SMTP 451 ved DATA``), without anything that looks like an
    address (notify promises none; this keeps a slip out of the case) and at most 200 characters."""
    return mask_mail_addresses(" ".join(detail.split()), "[adresse fjernet]")[:MAX_REASON_LENGTH]


def delivery_note(event: DeliveryStatusChanged) -> TimelineNote:
    """The timeline note for one delivery status of a notification about the case (state unchanged)."""
    text = (f"Mail til {DESTINATION_TEXT[event.destination]} ({event.destination.value}): "
            f"{STATUS_TEXT[event.status]}, forsøg {event.attempt}.")
    details: dict[str, Any] = {
        "notification_id": str(event.notification_id), "destination": event.destination.value,
        "purpose": event.purpose.value, "status": event.status.value, "attempt": event.attempt}
    if event.status is DeliveryStatus.SENT and event.message_id:
        details["message_id"] = event.message_id
        text += f" Message-ID: {event.message_id}."
    if event.status in WITH_REASON and event.detail:
        details["detail"] = reason_code(event.detail)
        text += f" Årsag: {details['detail']}."
    if event.status is DeliveryStatus.RETRYING and event.next_attempt_at is not None:
        details["next_attempt_at"] = event.next_attempt_at.isoformat()
    if event.underretning_id is not None:
        details["underretning_id"] = str(event.underretning_id)
    details["text"] = text
    return TimelineNote(at=event.occurred_at, actor=NOTIFY.user_id, actor_role=NOTIFY.role_name, action=ACTION,
                        details=details)
