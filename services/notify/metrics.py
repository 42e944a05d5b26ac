"""Notify's metrics (contracts.metrics): mails sent, failed attempts and mails dead-lettered.

Counted from the committed DeliveryStatusChanged events, by destination and purpose: never a recipient,
a reference or anything of the mail.
"""

from __future__ import annotations

from opentelemetry import metrics

from contracts.events import DeliveryStatus, DeliveryStatusChanged, Destination, NotificationPurpose
from contracts.metrics import (
    DELIVERY_STATUS,
    DESTINATION,
    FAILED_DELIVERY,
    MAILS_DEAD_LETTERED,
    MAILS_FAILED,
    MAILS_SENT,
    PURPOSE,
)
from infohus.kit.metrics import count_committed, counter

_meter = metrics.get_meter("infohus.notify")
_sent = counter(_meter, MAILS_SENT)
_failed = counter(_meter, MAILS_FAILED)
_dead_lettered = counter(_meter, MAILS_DEAD_LETTERED)


def register_metrics() -> None:
    count_committed(DeliveryStatusChanged, _status_changed)
    # Zero first, so that a process's first dead letter is an increase too (the alert looks for increases).
    for destination in Destination:
        for purpose in NotificationPurpose:
            _dead_lettered.add(0, {DESTINATION: destination.value, PURPOSE: purpose.value})


def _status_changed(event: DeliveryStatusChanged) -> None:
    attributes = {DESTINATION: event.destination.value, PURPOSE: event.purpose.value}
    if event.status is DeliveryStatus.SENT:
        _sent.add(1, attributes)
    elif event.status is DeliveryStatus.DEAD_LETTERED:
        _dead_lettered.add(1, attributes)
    elif event.status in FAILED_DELIVERY:
        _failed.add(1, {**attributes, DELIVERY_STATUS: event.status.value})
