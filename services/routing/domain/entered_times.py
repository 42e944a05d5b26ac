"""Times and dates a person enters (a receipt sent, a decision taken, a meeting held, a follow-up due) are
bounded: a time lies after what it refers to and not in the future, a due date not in the past.

A client's clock may run up to ``skew`` ahead of the server's; such a time is taken as now. An unbounded time
would stop a statutory clock before its duty existed (a receipt ``sent_at`` of 1970) or date a disclosure
before the concern it discloses was received. A refusal names the field, in Danish and in English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.routing.domain.errors import InvalidCommand


@dataclass(frozen=True)
class Earliest:
    """What an entered time refers to, and when that was."""

    at: datetime
    da: str  # "underretningen blev modtaget"
    en: str  # "the underretning"


def checked_entered_time(value: datetime, *, field: str, earliest: Earliest, now: datetime,
                         skew: timedelta) -> datetime:
    """``value`` if it lies in [earliest, now + skew] (a time up to ``skew`` ahead counts as now)."""
    if value.utcoffset() is None:
        raise InvalidCommand(f"{field}: tidspunktet skal have en UTC-forskydning / {field}: times need a UTC offset")
    if value < earliest.at:
        raise InvalidCommand(f"{field}: tidspunktet kan ikke ligge, før {earliest.da} ({earliest.at.isoformat()}) / "
                             f"{field} cannot predate {earliest.en}")
    if value > now + skew:
        raise InvalidCommand(f"{field}: tidspunktet ligger i fremtiden / {field}: that time is in the future")
    return min(value, now)


def checked_due_date(value: date, *, field: str, today: date) -> date:
    """A due date a person sets: today or later."""
    if value < today:
        raise InvalidCommand(f"{field}: datoen ligger i fortiden / {field}: that date is in the past")
    return value
