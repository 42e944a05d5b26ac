"""What a mailbox is told: reference, priority, deadlines, age band, flags and a link. Nothing else.

``MailContent`` is built only from fields of the events that carry no personal data by contract
(references, codes, times). It is stored with the delivery, so a retry sends the same mail.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from contracts.events import DeadlineKind, DeadlineReached, Destination, NotificationPurpose, NotificationRequested

PURPOSE_TITLE = {
    "NEW_CASE": "Ny bekymringshenvendelse",
    "SUPPLEMENT": "Supplerende oplysninger",
    "DEADLINE_WARNING": "Frist nærmer sig",
    "OOH_ESCALATION": "Henvendelse uden for åbningstid",
    "ALERT": "Driftsalarm",
    "RECEIPT_CONFIRMATION": "Kvittering for din underretning",
}

AGE_BAND_LABEL = {
    "MINOR": "Under 18 år",
    "MINOR_NEAR_18": "Under 18 år (fylder snart 18)",
    "ADULT": "18 år eller derover",
    "UNKNOWN": "Alder ukendt",
}

FLAG_LABEL = {
    "ACUTE": "Akut",
    "URGENT": "Haster",
    "CRIME_SUSPICION": "Mistanke om strafbart forhold",
    "DISCLOSURE_PROPOSED_TASK": "Opgave: overvej videregivelse",
    "OOH_CHANNEL_NOT_CONFIGURED": "Ingen vagtkanal uden for åbningstid",
    "ASSESSMENT_DEADLINE_AT_RISK": "24-timersfristen er i fare",
    "ADULT_TRANSITION": "Overgang til voksen",
    "AGE_UNVERIFIED": "Alder ikke bekræftet",
    "AGE_CONFLICT": "Modstridende aldersoplysninger",
    "CPR_UNUSABLE": "CPR-nummer kan ikke bruges",
    "SELF_REFERRAL_SEL_12B": "Henvender sig selv (serviceloven § 12 b)",
    "ANONYMOUS_PROFESSIONAL": "Anonym fagperson",
    "JURISDICTION_OTHER": "Anden kommune",
    "DUPLICATE_EXACT": "Dublet",
    "DUPLICATE_NEAR": "Mulig dublet",
    "SUPPLEMENT_TO_ORIGINAL": "Supplement til tidligere henvendelse",
}


def age_band_label(code: str) -> str:
    return AGE_BAND_LABEL.get(code, code)


def flag_label(code: str) -> str:
    return FLAG_LABEL.get(code, code)


class DeadlineLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    due_at: datetime | None = None
    due_date: date | None = None


class MailContent(BaseModel):
    """Everything a template may show. Free text here is ours (titles, labels), never the reporter's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: Literal["notification", "alert", "receipt"] = "notification"
    title: str
    intro: str | None = None
    reference: str
    priority: str
    acute: bool
    deadlines: list[DeadlineLine] = []
    age_bands: list[str] = []
    flags: list[str] = []
    link: str
    details: list[tuple[str, str]] = []
    paragraphs: list[str] = []  # the receipt's text, ours alone
    signature: str | None = None


def subject_line(content: MailContent) -> str:
    """Reference, priority and AKUT when acute; the title says what kind of mail it is. A reporter's receipt
    says neither priority nor acuteness: those are the municipality's assessment, not the reporter's business."""
    if content.template == "receipt":
        return f"{content.title} · {content.reference}"
    acute = "AKUT · " if content.acute else ""
    return f"{acute}[{content.priority}] {content.title} · {content.reference}"


def case_link(workspace_url: str, *, destination: str, underretning_id: UUID | None,
              infohus_case_id: UUID | None, reference: str) -> str:
    """The staff workspace's page for the mail: StraXen's mails open the underretning, the others the case,
    and without either id the cases of the reference."""
    base = workspace_url.rstrip("/")
    if destination == Destination.UNDERRETNING.value and underretning_id is not None:
        return f"{base}/underretninger/{underretning_id}"
    if infohus_case_id is not None:
        return f"{base}/sager/{infohus_case_id}"
    return f"{base}/sager?reference={quote(reference, safe='')}"


def content_for_request(n: NotificationRequested, *, link: str) -> MailContent:
    return MailContent(title=PURPOSE_TITLE[n.purpose.value], reference=n.reference, priority=n.priority.value,
                       acute=n.acute,
                       deadlines=[DeadlineLine(label=d.label, due_at=d.due_at, due_date=d.due_date)
                                  for d in n.deadlines],
                       age_bands=list(n.age_bands), flags=list(n.flags), link=link)


MAIL_FLAGS = frozenset({"DUPLICATE_NEAR", "SUPPLEMENT_TO_ORIGINAL"})
"""Flags one mail says of itself (a supplement), beside the case's own."""


def reclassified(content: MailContent, *, priority: str | None, age_bands: list[str] | None,
                 flags: list[str] | None) -> MailContent:
    """A mail not yet sent, brought up to a correction routing made since it was asked for: the case's priority
    (and, for a mailbox's notification, the age bands and flags) of now. A reporter's receipt says none of them."""
    if content.template == "receipt":
        return content
    update: dict[str, object] = {} if priority is None else {"priority": priority}
    if content.template == "notification":
        if age_bands is not None:
            update["age_bands"] = list(age_bands)
        if flags is not None:
            update["flags"] = [*flags, *(f for f in content.flags if f in MAIL_FLAGS and f not in flags)]
    return content.model_copy(update=update)


# --- the § 138 receipt to the reporter -----------------------------------------------------------

LOCAL = ZoneInfo("Europe/Copenhagen")
ORIENTATION_TO_FOLLOW = "ORIENTATION_TO_FOLLOW"
"""Flag on a receipt request: the reporter is a professional who will be oriented (§ 138, stk. 2)."""


def receipt_content(n: NotificationRequested, *, municipality: str, unit: str, phone: str) -> MailContent:
    """Content-free on purpose: no names, no story, no link (the reporter has no access to Infohus)."""
    assert n.received_at is not None  # the contract requires it for destination REPORTER
    received = n.received_at.astimezone(LOCAL).strftime("%d.%m.%Y kl. %H:%M")
    paragraphs = [f"{municipality} ({unit}) bekræfter hermed, at vi den {received} modtog din underretning.",
                  f"Underretningens reference er {n.reference}. Oplys den, hvis du kontakter os om underretningen."]
    if ORIENTATION_TO_FOLLOW in n.flags:
        paragraphs.append("Du får senere besked om, hvorvidt der er iværksat en børnefaglig undersøgelse, en "
                          "afdækning eller indsatser (barnets lov § 138, stk. 2).")
    paragraphs += [f"Har du spørgsmål, er du velkommen til at ringe til StraXen på telefon {phone}.",
                   "Kvitteringen sendes efter barnets lov § 138, stk. 1. Den indeholder bevidst ingen oplysninger "
                   "om sagen. Mailen kan ikke besvares."]
    return MailContent(template="receipt", title=PURPOSE_TITLE[n.purpose.value], reference=n.reference,
                       priority=n.priority.value, acute=False, link="", paragraphs=paragraphs,
                       signature=f"{municipality}, {unit}")


# --- reminders and escalations from routing's deadline events -----------------------------------

class DeadlineMail(BaseModel):
    model_config = ConfigDict(frozen=True)

    destination: Destination
    purpose: NotificationPurpose
    title: str
    intro: str
    deadline_label: str


_TRIAGE = "Triage i Infohus senest"
_ASSESSMENT = "Vurdering inden 24 timer (barnets lov § 136, stk. 2)"
_RECEIPT = "Kvittering til underretter senest (§ 138, stk. 1)"


def deadline_mails(event: DeadlineReached) -> list[DeadlineMail]:
    """Who is told about a deadline event, and how. Out of hours, the 24-hour clock goes to the on-call mailbox."""
    kind, warn, ooh = event.kind, NotificationPurpose.DEADLINE_WARNING, NotificationPurpose.OOH_ESCALATION
    tk, und, on_call = Destination.INFOHUS_TK, Destination.UNDERRETNING, Destination.OOH_ESCALATION
    if kind is DeadlineKind.TRIAGE_75:
        return [DeadlineMail(destination=tk, purpose=warn, title="Påmindelse: 75 % af triagefristen er gået",
                             intro="Sagen er endnu ikke triageret, og fristen nærmer sig.", deadline_label=_TRIAGE)]
    if kind is DeadlineKind.TRIAGE_BREACHED:
        return [DeadlineMail(destination=tk, purpose=warn, title="Triagefristen er overskredet",
                             intro="Sagen er ikke triageret inden fristen.", deadline_label=_TRIAGE)]
    if kind is DeadlineKind.ASSESSMENT_AT_RISK:
        if event.out_of_hours:
            return [DeadlineMail(destination=on_call, purpose=ooh,
                                 title="24-timersfristen er i fare uden for åbningstid",
                                 intro="Underretningen skal vurderes inden 24 timer, og kontoret åbner først efter "
                                       "fristen. Fristen har ingen undtagelse for helligdage.",
                                 deadline_label=_ASSESSMENT)]
        return [DeadlineMail(destination=und, purpose=warn, title="24-timersfristen er i fare",
                             intro="Underretningen er endnu ikke vurderet, og 24-timersfristen nærmer sig.",
                             deadline_label=_ASSESSMENT)]
    if kind is DeadlineKind.ASSESSMENT_BREACHED:
        mails = [DeadlineMail(destination=und, purpose=warn, title="24-timersfristen er overskredet",
                              intro="Underretningen er ikke vurderet inden 24 timer.", deadline_label=_ASSESSMENT)]
        if event.out_of_hours:
            mails.append(mails[0].model_copy(update={"destination": on_call, "purpose": ooh}))
        return mails
    if kind is DeadlineKind.RECEIPT_BREACHED:
        return [DeadlineMail(destination=und, purpose=warn, title="Fristen for kvittering er overskredet",
                             intro="Underretteren har ikke fået kvittering inden 6 hverdage.",
                             deadline_label=_RECEIPT)]
    return []  # a kind this version does not know: nothing to mail


def content_for_deadline(event: DeadlineReached, mail: DeadlineMail, *, link: str) -> MailContent:
    """The case's classification as routing gave it with the event (the current one, corrections included)."""
    due = DeadlineLine(label=mail.deadline_label, due_at=event.due_at)
    return MailContent(title=mail.title, intro=mail.intro, reference=event.reference, priority=event.priority.value,
                       acute=event.priority.value == "P0" or "ACUTE" in event.flags, deadlines=[due],
                       age_bands=list(event.age_bands), flags=list(event.flags), link=link)


# --- alerts to the ops mailbox ------------------------------------------------------------------

class AlertKind(StrEnum):
    DEAD_LETTERED = "DEAD_LETTERED"
    OVERDUE = "OVERDUE"
    MISSING = "MISSING"
    UNCERTAIN = "UNCERTAIN"


ALERT_TEXT = {
    AlertKind.DEAD_LETTERED: ("Notifikation kunne ikke leveres",
                              "En notifikation er opgivet og lagt på dead-letter-emnet. Modtageren har ikke fået "
                              "mailen. Ret årsagen, og send den igen."),
    AlertKind.OVERDUE: ("Notifikation er forsinket",
                        "En notifikation er ikke leveret inden for den fastsatte tid. Notify forsøger igen."),
    AlertKind.MISSING: ("Notifikation manglede",
                        "Routing har bedt om en notifikation, som notify aldrig modtog (tabt besked). Notify har "
                        "nu sendt den."),
    AlertKind.UNCERTAIN: ("Notifikation muligvis sendt to gange",
                          "Et afsendelsesforsøg blev afbrudt, efter mailen var overført til mailserveren. Det vides "
                          "ikke, om serveren modtog den. Se detaljerne for, hvad notify gjorde."),
}

DESTINATION_LABEL = {
    "UNDERRETNING": "Underretninger (Center for Børn og Forebyggelse)",
    "INFOHUS_TK": "Infohus (TK)",
    "OOH_ESCALATION": "Vagt uden for åbningstid",
    "JURISDICTION_REVIEW": "Vurdering af kompetence",
    "OPS_ALERT": "Drift",
    "REPORTER": "Underretteren (kvittering)",
}


def alert_content(kind: AlertKind, *, about: MailContent | None, reference: str, destination: str,
                  notification_id: str, detail: str, link: str) -> MailContent:
    title, intro = ALERT_TEXT[kind]
    details = [("Notifikation", notification_id), ("Modtager", DESTINATION_LABEL.get(destination, destination)),
               ("Hændelse", detail)]
    return MailContent(template="alert", title=f"Driftsalarm: {title}", intro=intro, reference=reference,
                       priority=about.priority if about else "–", acute=about.acute if about else False,
                       deadlines=list(about.deadlines) if about else [], link=link, details=details)
