from __future__ import annotations

from datetime import date

import pytest

from rules.age import (
    AgeBand,
    AgeEvidence,
    AgeSource,
    Feb29Policy,
    assess_age,
    birth_date_from_cpr,
    completed_years,
)

RECEIPT = date(2026, 3, 3)


def assess(evidence: AgeEvidence, on: date = RECEIPT, policy: Feb29Policy = Feb29Policy.MARCH_1):
    return assess_age(evidence, on, transition_window_days=30, feb29_policy=policy)


def passes_modulus_11(cpr: str) -> bool:
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    return sum(int(digit) * weight for digit, weight in zip(cpr, weights, strict=True)) % 11 == 0


@pytest.mark.parametrize(
    ("cpr", "born"),
    [
        ("0101000000", date(1900, 1, 1)),  # 7th digit 0 -> 1900s
        ("3112993999", date(1999, 12, 31)),  # 7th digit 3 -> 1900s
        ("0101364000", date(2036, 1, 1)),  # 4, yy <= 36 -> 2000s
        ("0101374000", date(1937, 1, 1)),  # 4, yy > 36 -> 1900s
        ("0101369000", date(2036, 1, 1)),  # 9, yy <= 36 -> 2000s
        ("0101379000", date(1937, 1, 1)),  # 9, yy > 36 -> 1900s
        ("0101575000", date(2057, 1, 1)),  # 5, yy <= 57 -> 2000s
        ("0101585000", date(1858, 1, 1)),  # 5, yy > 57 -> 1800s
        ("1506108123", date(2010, 6, 15)),  # 8 -> 2000s
        ("2902087000", date(2008, 2, 29)),
    ],
)
def test_cpr_century_from_seventh_digit(cpr: str, born: date) -> None:
    assert birth_date_from_cpr(cpr) == born


@pytest.mark.parametrize("cpr", ["3102121234", "0013121234", "2902091234", "0000001234", "12345"])
def test_impossible_cpr_date_gives_no_birth_date(cpr: str) -> None:
    assert birth_date_from_cpr(cpr) is None


def test_cpr_failing_modulus_11_is_still_used() -> None:
    cpr = "0505124001"  # 2012-05-05
    assert not passes_modulus_11(cpr)
    assessment = assess(AgeEvidence(cpr=cpr))
    assert (assessment.band, assessment.source, assessment.age_at_receipt) == (
        AgeBand.MINOR,
        AgeSource.CPR,
        13,
    )
    assert not assessment.cpr_unusable


@pytest.mark.parametrize(
    "cpr",
    [
        "3102121234",  # 31 February
        "0101304000",  # 7th digit 4, yy 30 -> 2030: born after the receipt date
    ],
)
def test_unusable_cpr_falls_back_to_the_next_source(cpr: str) -> None:
    assessment = assess(AgeEvidence(cpr=cpr, stated_age=15))
    assert (assessment.band, assessment.source) == (AgeBand.MINOR, AgeSource.STATED)
    assert assessment.cpr_unusable
    assert not assessment.age_conflict


def test_unusable_cpr_alone_means_unknown_age() -> None:
    assessment = assess(AgeEvidence(cpr="3102121234"))
    assert (assessment.band, assessment.source, assessment.minor_possible) == (
        AgeBand.UNKNOWN,
        AgeSource.NONE,
        True,
    )


@pytest.mark.parametrize(
    ("born", "on", "policy", "age"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), Feb29Policy.MARCH_1, 17),
        (date(2008, 2, 29), date(2026, 3, 1), Feb29Policy.MARCH_1, 18),
        (date(2008, 2, 29), date(2026, 2, 28), Feb29Policy.FEB_28, 18),
        (date(2008, 2, 29), date(2028, 2, 29), Feb29Policy.MARCH_1, 20),  # leap year: the real birthday
        (date(2008, 3, 3), date(2026, 3, 2), Feb29Policy.MARCH_1, 17),
        (date(2008, 3, 3), date(2026, 3, 3), Feb29Policy.MARCH_1, 18),  # 18 from 00:00 on the birthday
    ],
)
def test_completed_years(born: date, on: date, policy: Feb29Policy, age: int) -> None:
    assert completed_years(born, on, policy) == age


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2008, 3, 3), AgeBand.ADULT),  # 18th birthday on the receipt date
        (date(2008, 3, 4), AgeBand.MINOR_NEAR_18),  # 1 day to go
        (date(2008, 4, 2), AgeBand.MINOR_NEAR_18),  # 30 days to go: inside the window
        (date(2008, 4, 3), AgeBand.MINOR),  # 31 days to go
        (date(2015, 1, 1), AgeBand.MINOR),
        (date(1950, 1, 1), AgeBand.ADULT),
        (date(2026, 3, 3), AgeBand.MINOR),  # born on the receipt date
    ],
)
def test_near_18_window_edges(born: date, band: AgeBand) -> None:
    assert assess(AgeEvidence(date_of_birth=born)).band is band


def test_leap_day_child_is_near_18_until_first_of_march() -> None:
    born = date(2008, 2, 29)
    assert assess(AgeEvidence(date_of_birth=born), on=date(2026, 2, 28)).band is AgeBand.MINOR_NEAR_18
    assert assess(AgeEvidence(date_of_birth=born), on=date(2026, 3, 1)).band is AgeBand.ADULT
    assert assess(AgeEvidence(date_of_birth=born), on=date(2026, 2, 28), policy=Feb29Policy.FEB_28).band is (
        AgeBand.ADULT
    )


def test_date_of_birth_in_the_future_is_unusable() -> None:
    assert assess(AgeEvidence(date_of_birth=date(2026, 3, 4))).band is AgeBand.UNKNOWN


@pytest.mark.parametrize(
    ("stated_age", "band"),
    [
        (0, AgeBand.MINOR),
        (16, AgeBand.MINOR),
        (17, AgeBand.MINOR_NEAR_18),
        (18, AgeBand.ADULT),
        (70, AgeBand.ADULT),
    ],
)
def test_stated_age(stated_age: int, band: AgeBand) -> None:
    assessment = assess(AgeEvidence(stated_age=stated_age))
    assert (assessment.band, assessment.source, assessment.age_at_receipt) == (
        band,
        AgeSource.STATED,
        stated_age,
    )


def test_no_age_information_is_unknown_and_possibly_minor() -> None:
    assessment = assess(AgeEvidence())
    assert (assessment.band, assessment.source, assessment.minor_possible) == (
        AgeBand.UNKNOWN,
        AgeSource.NONE,
        True,
    )
    assert not assessment.age_conflict


@pytest.mark.parametrize(
    ("evidence", "band", "source", "conflict", "minor_possible"),
    [
        # CPR (adult) beats DOB (minor): the band is ADULT, but a minor is still possible.
        (
            AgeEvidence(cpr="0101901234", date_of_birth=date(2012, 1, 1)),
            AgeBand.ADULT,
            AgeSource.CPR,
            True,
            True,
        ),
        # DOB (minor) beats a stated adult age.
        (
            AgeEvidence(date_of_birth=date(2012, 1, 1), stated_age=25),
            AgeBand.MINOR,
            AgeSource.DOB,
            True,
            True,
        ),
        # CPR (minor) beats a stated adult age.
        (AgeEvidence(cpr="0505124001", stated_age=19), AgeBand.MINOR, AgeSource.CPR, True, True),
        # DOB (adult) beats a stated minor age.
        (
            AgeEvidence(date_of_birth=date(1990, 1, 1), stated_age=16),
            AgeBand.ADULT,
            AgeSource.DOB,
            True,
            True,
        ),
        # Different dates on the same side of 18 are no conflict.
        (
            AgeEvidence(cpr="0101901234", date_of_birth=date(1991, 2, 2)),
            AgeBand.ADULT,
            AgeSource.CPR,
            False,
            False,
        ),
        # MINOR_NEAR_18 and MINOR are both under 18: no conflict.
        (
            AgeEvidence(date_of_birth=date(2008, 3, 20), stated_age=15),
            AgeBand.MINOR_NEAR_18,
            AgeSource.DOB,
            False,
            True,
        ),
        (AgeEvidence(stated_age=40), AgeBand.ADULT, AgeSource.STATED, False, False),
    ],
)
def test_source_precedence_and_conflicts(
    evidence: AgeEvidence, band: AgeBand, source: AgeSource, conflict: bool, minor_possible: bool
) -> None:
    assessment = assess(evidence)
    assert (assessment.band, assessment.source) == (band, source)
    assert assessment.age_conflict is conflict
    assert assessment.minor_possible is minor_possible
