"""Office days, opening hours and legal working days in the municipality's time zone: the one calendar.

``OfficeDays`` says which local dates are office days and legal hverdage; ``OfficeCalendar`` adds a
municipality's opening and hotline hours (routing's clocks and the reporter's answer). Audit counts the
office days of the Danish public administration (``ADMINISTRATION_OFFICE_DAYS``) with the same code.

Every instant returned here is in UTC; every comparison and subtraction is done in UTC, because
Python compares two datetimes sharing one tzinfo by wall-clock time, which is wrong across the
autumn DST change. Local dates and wall-clock times are only used to find opening and closing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

from rules.config import DailyHours, MunicipalityConfig, Weekday
from rules.vocabulary import TimeContext

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# Far enough to pass any run of closed days; reaching it means the configuration has no office days.
_SEARCH_HORIZON_DAYS = 400
_ASCENSION_AFTER_EASTER = timedelta(days=39)


@lru_cache(maxsize=128)
def danish_public_holidays(year: int) -> frozenset[date]:
    """Official Danish public holidays (Store Bededag only until 2023, as the `holidays` package has it)."""
    return frozenset(holidays.country_holidays("DK", years=year, categories=(holidays.PUBLIC,)).keys())


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday."""
    sunday: date = easter(year)
    return sunday


def _days_from(first: date) -> Iterator[date]:
    for offset in range(_SEARCH_HORIZON_DAYS):
        yield first + timedelta(days=offset)
    raise LookupError("no office day within the search horizon; check the office hours in the configuration")


@dataclass(frozen=True)
class OfficeDays:
    """Which local dates an office is open, and which count as "hverdage" for statutory deadlines."""

    zone: ZoneInfo
    weekdays: frozenset[Weekday]
    closed_month_days: frozenset[tuple[int, int]]  # (month, day): closed by local custom
    closed_day_after_ascension: bool
    closed_on_public_holidays: bool = True
    hverdag_counts_office_closed_days: bool = True

    @classmethod
    def of(cls, config: MunicipalityConfig) -> OfficeDays:
        return cls(zone=config.zone, weekdays=frozenset(config.office_hours),
                   closed_month_days=config.closed_month_days(),
                   closed_day_after_ascension=config.office_closed_day_after_ascension,
                   closed_on_public_holidays=config.office_closed_on_public_holidays,
                   hverdag_counts_office_closed_days=config.legal_hverdag_counts_office_closed_days)

    def local_date(self, instant: datetime) -> date:
        return _require_aware(instant).astimezone(self.zone).date()

    def is_public_holiday(self, day: date) -> bool:
        return day in danish_public_holidays(day.year)

    def is_extra_office_closed_day(self, day: date) -> bool:
        """Closed by local custom though not a public holiday (e.g. 5/6, 24/12, 31/12)."""
        if (day.month, day.day) in self.closed_month_days:
            return True
        day_after_ascension = easter_sunday(day.year) + _ASCENSION_AFTER_EASTER + timedelta(days=1)
        return self.closed_day_after_ascension and day == day_after_ascension

    def is_office_day(self, day: date) -> bool:
        if (self.closed_on_public_holidays and self.is_public_holiday(day)) or self.is_extra_office_closed_day(day):
            return False
        return Weekday.of(day) in self.weekdays

    def is_legal_hverdag(self, day: date) -> bool:
        """A "hverdag" for statutory deadlines: Monday to Friday, not a public holiday."""
        if day.weekday() >= 5 or self.is_public_holiday(day):
            return False
        return self.hverdag_counts_office_closed_days or not self.is_extra_office_closed_day(day)

    def office_days_between(self, start: datetime, end: datetime) -> int:
        """Office days after ``start``'s local date up to and including ``end``'s local date."""
        first, last = self.local_date(start), self.local_date(end)
        return sum(self.is_office_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))


# The Danish public administration: Monday to Friday, closed on the public holidays and on Grundlovsdag,
# juleaftensdag and nytårsaftensdag.
ADMINISTRATION_OFFICE_DAYS = OfficeDays(
    zone=COPENHAGEN,
    weekdays=frozenset({Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY}),
    closed_month_days=frozenset({(6, 5), (12, 24), (12, 31)}),
    closed_day_after_ascension=False,
)


class OfficeCalendar:
    """A municipality's office days with its opening and hotline hours."""

    def __init__(self, config: MunicipalityConfig) -> None:
        self.days = OfficeDays.of(config)
        self._zone = config.zone
        self._office_hours = config.office_hours
        self._hotline_hours = config.hotline_hours

    # --- local time -----------------------------------------------------------------------------

    def local(self, instant: datetime) -> datetime:
        return _require_aware(instant).astimezone(self._zone)

    def local_date(self, instant: datetime) -> date:
        return self.local(instant).date()

    def _instant(self, day: date, wall_clock: time) -> datetime:
        return datetime.combine(day, wall_clock, tzinfo=self._zone).astimezone(UTC)

    def _period(self, day: date, hours: DailyHours) -> tuple[datetime, datetime]:
        return self._instant(day, hours.opens), self._instant(day, hours.closes)

    # --- kinds of days --------------------------------------------------------------------------

    def is_public_holiday(self, day: date) -> bool:
        return self.days.is_public_holiday(day)

    def office_hours_on(self, day: date) -> DailyHours | None:
        return self._office_hours[Weekday.of(day)] if self.days.is_office_day(day) else None

    def is_office_day(self, day: date) -> bool:
        return self.days.is_office_day(day)

    def is_legal_hverdag(self, day: date) -> bool:
        return self.days.is_legal_hverdag(day)

    # --- instants -------------------------------------------------------------------------------

    def office_period(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.office_hours_on(day)
        return None if hours is None else self._period(day, hours)

    def is_office_open(self, instant: datetime) -> bool:
        period = self.office_period(self.local_date(instant))
        return period is not None and period[0] <= _utc(instant) < period[1]

    def is_hotline_open(self, instant: datetime) -> bool:
        opens, closes = self._period(self.local_date(instant), self._hotline_hours)
        return opens <= _utc(instant) < closes

    def time_context(self, instant: datetime) -> TimeContext:
        if self.is_office_open(instant):
            return TimeContext.OFFICE_OPEN
        if self.is_hotline_open(instant):
            return TimeContext.HOTLINE_ONLY
        return TimeContext.ALL_CLOSED

    def next_office_opening(self, instant: datetime) -> datetime:
        """The earliest instant at or after ``instant`` when the office is open: ``instant`` if open now."""
        moment = _utc(instant)
        for day in _days_from(self.local_date(instant)):
            period = self.office_period(day)
            if period is not None and moment < period[1]:
                return max(period[0], moment)
        raise AssertionError("unreachable")  # pragma: no cover - _days_from raises first

    def office_closing_after(self, receipt_date: date, office_days: int) -> datetime:
        """Closing time of the ``office_days``-th office day after ``receipt_date`` (which is not counted)."""
        day = _nth_day_after(receipt_date, office_days, self.is_office_day)
        return self._instant(day, self._office_hours[Weekday.of(day)].closes)

    def nth_hverdag_after(self, receipt_date: date, hverdage: int) -> date:
        """The ``hverdage``-th legal hverdag after ``receipt_date``; the receipt day itself is not counted."""
        return _nth_day_after(receipt_date, hverdage, self.is_legal_hverdag)


def _nth_day_after(start: date, count: int, counts: Callable[[date], bool]) -> date:
    if count < 1:
        raise ValueError("count must be at least 1")
    counted = 0
    for day in _days_from(start + timedelta(days=1)):
        counted += counts(day)
        if counted == count:
            return day
    raise AssertionError("unreachable")  # pragma: no cover - _days_from raises first


def _require_aware(instant: datetime) -> datetime:
    if instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no UTC offset")
    return instant


def _utc(instant: datetime) -> datetime:
    return _require_aware(instant).astimezone(UTC)
