"""One mail as handed to the SMTP adapter, and the rules for its recipient and Message-ID."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from services.notify.domain.content import PURPOSE_TITLE, MailContent, subject_line

__all__ = ["PURPOSE_TITLE", "Mail", "MailContent", "NoRecipientConfigured", "message_id_for", "recipient_for",
           "subject_line"]


class NoRecipientConfigured(Exception):
    """The destination has no mailbox in this municipality's configuration."""


def recipient_for(destination: str, mailboxes: Mapping[str, str | None]) -> str:
    address = mailboxes.get(destination)
    if not address:
        raise NoRecipientConfigured(f"no mailbox configured for {destination}")
    return address


def message_id_for(notification_id: UUID, domain: str) -> str:
    """Deterministic, so every attempt for the same notification carries the same Message-ID.

    A receiving mail store that suppresses duplicate Message-IDs, or a person reading two mails,
    can tell that a second copy is the same notification.
    """
    return f"<{notification_id}@{domain}>"


@dataclass(frozen=True)
class Mail:
    recipient: str
    sender: str
    subject: str
    message_id: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...] = ()
