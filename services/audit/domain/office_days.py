"""Danish office days, for Q10's "oral meeting disclosures recorded more than 2 office days later"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# Not public holidays, but closed days in Danish public administration.
EXTRA_CLOSED = ((6, 5), (12, 24), (12, 31))


def is_office_day(day: date) -> bool:
    if day.weekday() >= 5 or (day.month, day.day) in EXTRA_CLOSED:
        return False
    return day not in holidays.country_holidays("DK", years=day.year)


def office_days_between(start: datetime, end: datetime) -> int:
    """Office days after ``start``'s Danish date up to and including ``end``'s Danish date."""
    first, last = start.astimezone(COPENHAGEN).date(), end.astimezone(COPENHAGEN).date()
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += is_office_day(day)
        day += timedelta(days=1)
    return count
