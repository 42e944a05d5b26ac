"""Office days, opening hours and legal working days in the municipality's time zone.

Every instant returned here is in UTC; every comparison and subtraction is done in UTC, because
Python compares two datetimes sharing one tzinfo by wall-clock time, which is wrong across the
autumn DST change. Local dates and wall-clock times are only used to find opening and closing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from rules.config import DailyHours, MunicipalityConfig, Weekday
from rules.vocabulary import TimeContext

# Far enough to pass any run of closed days; reaching it means the configuration has no office days.
_SEARCH_HORIZON_DAYS = 400
_ASCENSION_AFTER_EASTER = timedelta(days=39)


@lru_cache(maxsize=128)
def danish_public_holidays(year: int) -> frozenset[date]:
    """Official Danish public holidays (Store Bededag only until 2023, as the `holidays` package has it)."""
    return frozenset(holidays.country_holidays("DK", years=year, categories=(holidays.PUBLIC,)).keys())


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _days_from(first: date) -> Iterator[date]:
    for offset in range(_SEARCH_HORIZON_DAYS):
        yield first + timedelta(days=offset)
    raise LookupError("no office day within the search horizon; check the office hours in the configuration")


class OfficeCalendar:
    def __init__(self, config: MunicipalityConfig) -> None:
        self._zone = config.zone
        self._office_hours = config.office_hours
        self._hotline_hours = config.hotline_hours
        self._closed_month_days = config.closed_month_days()
        self._closed_day_after_ascension = config.office_closed_day_after_ascension
        self._closed_on_public_holidays = config.office_closed_on_public_holidays
        self._hverdag_counts_office_closed_days = config.legal_hverdag_counts_office_closed_days

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
        return day in danish_public_holidays(day.year)

    def is_extra_office_closed_day(self, day: date) -> bool:
        """Closed by local custom though not a public holiday (e.g. 5/6, 24/12, 31/12)."""
        if (day.month, day.day) in self._closed_month_days:
            return True
        day_after_ascension = easter_sunday(day.year) + _ASCENSION_AFTER_EASTER + timedelta(days=1)
        return self._closed_day_after_ascension and day == day_after_ascension

    def office_hours_on(self, day: date) -> DailyHours | None:
        if (self._closed_on_public_holidays and self.is_public_holiday(day)) or self.is_extra_office_closed_day(day):
            return None
        return self._office_hours.get(Weekday.of(day))

    def is_office_day(self, day: date) -> bool:
        return self.office_hours_on(day) is not None

    def is_legal_hverdag(self, day: date) -> bool:
        """A "hverdag" for statutory deadlines: Monday to Friday, not a public holiday."""
        if day.weekday() >= 5 or self.is_public_holiday(day):
            return False
        return self._hverdag_counts_office_closed_days or not self.is_extra_office_closed_day(day)

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
