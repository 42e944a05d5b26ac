"""Danish public holidays (helligdage), computed from the date of Easter.

The ``holidays`` package gives the same days, but ``holidays.country_holidays("DK")`` imports the
modules of every country it knows (≈ 280): ≈ 6 MB of memory that stays, and a start-up peak of ≈ 20 MB
when those modules are compiled. ``tests/kit/test_danish_holidays.py`` compares this module with the
package, year by year.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# Store Bededag (the fourth Friday after Easter) was abolished as a public holiday from 2024.
LAST_GREAT_PRAYER_DAY = 2023
# The days after Easter Sunday on which the movable holidays fall.
_AFTER_EASTER = {"maundy_thursday": -3, "good_friday": -2, "easter_sunday": 0, "easter_monday": 1,
                 "ascension_day": 39, "whit_sunday": 49, "whit_monday": 50}
_GREAT_PRAYER_DAY_AFTER_EASTER = 26
_FIXED = ((1, 1), (12, 25), (12, 26))


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


@lru_cache(maxsize=128)
def danish_public_holidays(year: int) -> frozenset[date]:
    """New Year's Day, Maundy Thursday, Good Friday, Easter Sunday and Monday, Store Bededag (until 2023),
    Ascension Day, Whit Sunday and Monday, Christmas Day and the day after. Not Grundlovsdag (5 June),
    Christmas Eve or New Year's Eve: those are closed days by custom, which callers add themselves."""
    easter = easter_sunday(year)
    days = {easter + timedelta(days=offset) for offset in _AFTER_EASTER.values()}
    if year <= LAST_GREAT_PRAYER_DAY:
        days.add(easter + timedelta(days=_GREAT_PRAYER_DAY_AFTER_EASTER))
    days.update(date(year, month, day) for month, day in _FIXED)
    return frozenset(days)
