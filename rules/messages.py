"""The Danish answer shown (or mailed) to the reporter: the message blocks of §C.3, filled in."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict

from rules.calendar import OfficeCalendar
from rules.config import MunicipalityConfig
from rules.decision import Decision
from rules.vocabulary import MessageId

_DANISH_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


class ReporterMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: MessageId
    text: str


def render_reporter_messages(
    decision: Decision,
    *,
    reference: str,
    received_at: datetime,
    config: MunicipalityConfig,
    contactable: bool,
) -> list[ReporterMessage]:
    """One message per id in ``decision.reporter_messages``, in that order.

    For duplicates pass the original concern's reference and received_at (same reference, §C.3).
    """
    calendar = OfficeCalendar(config)
    receipt_date = _receipt_confirmation_date(decision) if contactable else None
    values = _placeholder_values(decision, reference, calendar.local(received_at), config, receipt_date)
    return [
        ReporterMessage(id=message, text=_tidy(_template(message, config, receipt_date).format(**values)))
        for message in decision.reporter_messages
    ]


def _template(message: MessageId, config: MunicipalityConfig, receipt_date: date | None) -> str:
    if message is MessageId.M_UND_PROF and receipt_date is None:
        return config.messages.und_prof_without_contact
    return config.messages.blocks[message]


def _receipt_confirmation_date(decision: Decision) -> date | None:
    dates = [
        u.receipt_confirmation_due_date for u in decision.underretninger if u.receipt_confirmation_due_date
    ]
    return min(dates, default=None)


def _placeholder_values(
    decision: Decision,
    reference: str,
    local_received_at: datetime,
    config: MunicipalityConfig,
    receipt_date: date | None,
) -> dict[str, str]:
    next_opening = decision.next_office_opening.astimezone(config.zone)
    contacts = config.contacts
    receipt_notice = (
        config.messages.receipt_notice.format(receipt_date=format_date(receipt_date)) if receipt_date else ""
    )
    return {
        "municipality": config.municipality_name,
        "infohus_name": config.infohus_name,
        "reference": reference,
        "received_at": format_date_time(local_received_at),
        "next_opening": format_date_time(next_opening),
        "next_opening_weekday": _DANISH_WEEKDAYS[next_opening.weekday()],
        "receipt_date": format_date(receipt_date) if receipt_date else "",
        "receipt_notice": receipt_notice,
        "tk_phone": contacts.tk_phone,
        "straxen_phone": contacts.straxen_phone,
        "hotline_phone": contacts.hotline_phone,
        "hotline_hours": f"{_hour(config.hotline_hours.opens)}-{_hour(config.hotline_hours.closes)}",
        "police_non_emergency": contacts.police_non_emergency,
        "police_emergency": contacts.police_emergency,
    }


def format_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def format_date_time(moment: datetime) -> str:
    """'dd.mm.åååå kl. tt:mm' in the time zone ``moment`` carries."""
    return f"{format_date(moment.date())} kl. {moment:%H:%M}"


def _hour(wall_clock: time) -> str:
    """'8' for 08:00, '8.30' for 08:30, as Danish opening hours are usually written."""
    return str(wall_clock.hour) if wall_clock.minute == 0 else f"{wall_clock.hour}.{wall_clock.minute:02d}"


def _tidy(text: str) -> str:
    # An empty optional placeholder leaves a double space behind.
    return " ".join(text.split())
