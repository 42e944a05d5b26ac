"""The Danish timeline text for a delivery status: destination, status, attempt, Message-ID, reason code."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest

from contracts.events import DeliveryStatus, DeliveryStatusChanged, Destination, NotificationPurpose
from services.routing.domain.delivery import delivery_note, reason_code

AT = datetime.fromisoformat("2026-03-03T10:01:00+01:00")


def status(status: DeliveryStatus, **fields: Any) -> DeliveryStatusChanged:
    return DeliveryStatusChanged(notification_id=uuid4(), concern_id=uuid4(), reference="ISH-1",
                                 destination=fields.pop("destination", Destination.UNDERRETNING),
                                 purpose=NotificationPurpose.NEW_CASE, status=status,
                                 attempt=fields.pop("attempt", 1), occurred_at=AT, **fields)


def test_sent_names_the_mailbox_the_attempt_and_the_message_id() -> None:
    entry = delivery_note(status(DeliveryStatus.SENT, message_id="<abc.123@infohus.ishoj.dk>", attempt=2))
    assert entry.details["text"] == ("Mail til Underretningspostkassen (UNDERRETNING): sendt (modtaget af "
                                     "mailserveren), forsøg 2. Message-ID: <abc.123@infohus.ishoj.dk>.")
    assert (entry.action, entry.at) == ("DELIVERY_STATUS", AT)
    assert (entry.actor, entry.actor_role) == ("system:notify", "system")
    assert entry.details["message_id"] == "<abc.123@infohus.ishoj.dk>" and "detail" not in entry.details


@pytest.mark.parametrize(("kind", "words"), [(DeliveryStatus.RETRYING, "mislykkedes og forsøges igen"),
                                             (DeliveryStatus.DEAD_LETTERED, "ikke leveret (opgivet)")])
def test_retrying_and_dead_lettered_carry_the_reason_code(kind: DeliveryStatus, words: str) -> None:
    entry = delivery_note(status(kind, destination=Destination.INFOHUS_TK, detail="SMTP 451 ved DATA",
                                 attempt=3, message_id="<ignored@x>"))
    assert entry.details["text"] == (f"Mail til Infohus' tovholdere (TK-postkassen) (INFOHUS_TK): {words}, "
                                     "forsøg 3. Årsag: SMTP 451 ved DATA.")
    assert entry.details["detail"] == "SMTP 451 ved DATA" and "message_id" not in entry.details


def test_other_statuses_carry_no_reason() -> None:
    entry = delivery_note(status(DeliveryStatus.QUEUED, detail="noget"))
    assert entry.details["text"] == ("Mail til Underretningspostkassen (UNDERRETNING): sat i kø til afsendelse, "
                                     "forsøg 1.")
    assert "detail" not in entry.details


def test_an_address_in_the_reason_never_reaches_the_case() -> None:
    assert reason_code("SMTP 550 <anna.jensen@example.org>: mailbox unavailable") == \
        "SMTP 550 <[adresse fjernet]>: mailbox unavailable"
    assert reason_code("x" * 500) == "x" * 200
    entry = delivery_note(status(DeliveryStatus.DEAD_LETTERED, detail="550 til anna@example.org"))
    assert "anna" not in str(entry.details)
