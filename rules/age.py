"""Age band of one person at the receipt date (docs/legal.md §C.1).

Sources in order of precedence: CPR number > stated date of birth > stated integer age.
A CPR number is never rejected for failing modulus 11 (numbers without the check exist
since 2007); a CPR whose date part is impossible is an unusable source, not an error.
"""

from __future__ import annotations

import calendar as _gregorian
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

ADULT_AGE = 18


class AgeBand(StrEnum):
    MINOR = "MINOR"
    MINOR_NEAR_18 = "MINOR_NEAR_18"
    ADULT = "ADULT"
    UNKNOWN = "UNKNOWN"


class AgeSource(StrEnum):
    CPR = "CPR"
    DOB = "DOB"
    STATED = "STATED"
    NONE = "NONE"


class Feb29Policy(StrEnum):
    """The day a person born on 29 February has a birthday in a common year."""

    MARCH_1 = "MARCH_1"
    FEB_28 = "FEB_28"


@dataclass(frozen=True)
class AgeEvidence:
    """What the concern says about one person's age; every field may be missing."""

    cpr: str | None = None
    date_of_birth: date | None = None
    stated_age: int | None = None
    # What a CPR number said, where the number itself is not kept (a stored decision's input, rules.inputs):
    # cpr_given with cpr_birth_date None is a number whose date part is impossible. ``cpr`` wins when set.
    cpr_given: bool = False
    cpr_birth_date: date | None = None

    def cpr_reading(self) -> tuple[bool, date | None]:
        """Whether a CPR number was given, and the birth date it encodes (None: impossible date part)."""
        if self.cpr is not None:
            return True, birth_date_from_cpr(self.cpr)
        return self.cpr_given, self.cpr_birth_date if self.cpr_given else None


@dataclass(frozen=True)
class AgeAssessment:
    band: AgeBand
    source: AgeSource
    age_at_receipt: int | None
    age_conflict: bool
    cpr_unusable: bool
    eighteenth_birthday: date | None

    @property
    def minor_possible(self) -> bool:
        # A conflict always means one source says < 18 (the sources disagree about the side of 18).
        return self.band is not AgeBand.ADULT or self.age_conflict


def birth_date_from_cpr(cpr: str) -> date | None:
    """The birth date encoded in a 10-digit CPR number, or None if the date part is impossible."""
    if len(cpr) != 10 or not cpr.isdigit():
        return None
    day, month, yy, century_digit = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6]), int(cpr[6])
    try:
        return date(_cpr_century(century_digit, yy) + yy, month, day)
    except ValueError:
        return None


def _cpr_century(century_digit: int, yy: int) -> int:
    """CPR-kontoret's rule for the century, from the 7th digit and the two-digit year."""
    if century_digit <= 3:
        return 1900
    if century_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def birthday_in_year(born: date, year: int, policy: Feb29Policy) -> date:
    if born.month == 2 and born.day == 29 and not _gregorian.isleap(year):
        return date(year, 3, 1) if policy is Feb29Policy.MARCH_1 else date(year, 2, 28)
    return born.replace(year=year)


def completed_years(born: date, on: date, policy: Feb29Policy) -> int:
    """Age in completed years: age N is reached at 00:00 local on the Nth birthday."""
    years = on.year - born.year
    return years - 1 if on < birthday_in_year(born, on.year, policy) else years


@dataclass(frozen=True)
class _SourceReading:
    source: AgeSource
    band: AgeBand
    age: int
    eighteenth_birthday: date | None

    @property
    def is_minor(self) -> bool:
        return self.band is not AgeBand.ADULT


def assess_age(
    evidence: AgeEvidence, receipt_date: date, *, transition_window_days: int, feb29_policy: Feb29Policy
) -> AgeAssessment:
    cpr_given, cpr_birth = evidence.cpr_reading()
    cpr_unusable = cpr_given and not _is_possible_birth(cpr_birth, receipt_date)
    readings = [
        reading
        for reading in (
            _from_birth_date(AgeSource.CPR, cpr_birth, receipt_date, transition_window_days, feb29_policy),
            _from_birth_date(
                AgeSource.DOB, evidence.date_of_birth, receipt_date, transition_window_days, feb29_policy
            ),
            _from_stated_age(evidence.stated_age),
        )
        if reading is not None
    ]
    if not readings:
        return AgeAssessment(AgeBand.UNKNOWN, AgeSource.NONE, None, False, cpr_unusable, None)
    leading = readings[0]
    conflict = len({reading.is_minor for reading in readings}) > 1
    return AgeAssessment(
        band=leading.band,
        source=leading.source,
        age_at_receipt=leading.age,
        age_conflict=conflict,
        cpr_unusable=cpr_unusable,
        eighteenth_birthday=leading.eighteenth_birthday,
    )


def _is_possible_birth(born: date | None, receipt_date: date) -> bool:
    return born is not None and born <= receipt_date


def _from_birth_date(
    source: AgeSource, born: date | None, receipt_date: date, window_days: int, policy: Feb29Policy
) -> _SourceReading | None:
    if born is None or not _is_possible_birth(born, receipt_date):
        return None
    age = completed_years(born, receipt_date, policy)
    eighteenth = birthday_in_year(born, born.year + ADULT_AGE, policy)
    if age >= ADULT_AGE:
        band = AgeBand.ADULT
    elif eighteenth - receipt_date <= timedelta(days=window_days):
        band = AgeBand.MINOR_NEAR_18
    else:
        band = AgeBand.MINOR
    return _SourceReading(source, band, age, eighteenth)


def _from_stated_age(stated_age: int | None) -> _SourceReading | None:
    if stated_age is None:
        return None
    if stated_age >= ADULT_AGE:
        band = AgeBand.ADULT
    elif stated_age == ADULT_AGE - 1:
        band = AgeBand.MINOR_NEAR_18
    else:
        band = AgeBand.MINOR
    return _SourceReading(AgeSource.STATED, band, stated_age, None)
