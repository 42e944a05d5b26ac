"""Re-driving a dead-lettered delivery once ops have fixed the fault (a relay, a mailbox, configuration).

Only a DEAD_LETTERED delivery is re-driven: it becomes PENDING with a fresh attempt budget and keeps its
Message-ID. Every other state is refused, above all SENT: the mail was accepted, and re-driving it would
send a second one. Pure: the decision only.
"""

from __future__ import annotations

from enum import StrEnum

from services.notify.domain.delivery import State

REDRIVE_DETAIL = "sendes igen efter fejlrettelse"


class RedriveOutcome(StrEnum):
    REDRIVEN = "REDRIVEN"
    WOULD_REDRIVE = "WOULD_REDRIVE"  # a dry run
    NOT_FOUND = "NOT_FOUND"
    ALREADY_SENT = "ALREADY_SENT"
    NOT_DEAD_LETTERED = "NOT_DEAD_LETTERED"
    NO_MAILBOX = "NO_MAILBOX"
    NO_CONTENT = "NO_CONTENT"


MESSAGES: dict[RedriveOutcome, tuple[str, str]] = {
    RedriveOutcome.REDRIVEN: ("Sendes igen.", "Re-driven: it will be sent again."),
    RedriveOutcome.WOULD_REDRIVE: ("Ville blive sendt igen (prøvekørsel; intet er ændret).",
                                   "Would be re-driven (dry run; nothing changed)."),
    RedriveOutcome.NOT_FOUND: ("Notify kender ingen levering med dette id.", "No delivery with this id."),
    RedriveOutcome.ALREADY_SENT: ("Mailen er allerede modtaget af mailserveren; den sendes ikke igen.",
                                  "Already sent (accepted by the relay); re-driving would send a second mail."),
    RedriveOutcome.NOT_DEAD_LETTERED: ("Kun opgivne leveringer (DEAD_LETTERED) kan sendes igen; denne er {state}.",
                                       "Only a DEAD_LETTERED delivery can be re-driven; this one is {state}."),
    RedriveOutcome.NO_MAILBOX: ("Der er stadig ingen postkasse konfigureret for {destination}.",
                                "Still no mailbox configured for {destination}."),
    RedriveOutcome.NO_CONTENT: ("Leveringen har ingen gemt mail at sende.", "The delivery has no stored mail to send."),
}


def redrive_refusal(*, state: str, has_recipient: bool, has_content: bool) -> RedriveOutcome | None:
    """Why a delivery in this state cannot be re-driven, or None if it can."""
    if state == State.SENT:
        return RedriveOutcome.ALREADY_SENT
    if state != State.DEAD_LETTERED:
        return RedriveOutcome.NOT_DEAD_LETTERED
    if not has_content:
        return RedriveOutcome.NO_CONTENT
    if not has_recipient:
        return RedriveOutcome.NO_MAILBOX
    return None
