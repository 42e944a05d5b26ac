from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rules.calendar import ADMINISTRATION_OFFICE_DAYS, OfficeCalendar, danish_public_holidays, easter_sunday
from rules.config import Weekday
from rules.vocabulary import TimeContext
from tests.routing.builders import CONFIG, at

CALENDAR = OfficeCalendar(CONFIG)

# docs/legal.md §A5: computed movable holidays 2024-2030
# (skærtorsdag, langfredag, påskedag, 2. påskedag, Kristi himmelfart, pinsedag, 2. pinsedag).
MOVABLE_HOLIDAYS = {
    2024: ("03-28", "03-29", "03-31", "04-01", "05-09", "05-19", "05-20"),
    2025: ("04-17", "04-18", "04-20", "04-21", "05-29", "06-08", "06-09"),
    2026: ("04-02", "04-03", "04-05", "04-06", "05-14", "05-24", "05-25"),
    2027: ("03-25", "03-26", "03-28", "03-29", "05-06", "05-16", "05-17"),
    2028: ("04-13", "04-14", "04-16", "04-17", "05-25", "06-04", "06-05"),
    2029: ("03-29", "03-30", "04-01", "04-02", "05-10", "05-20", "05-21"),
    2030: ("04-18", "04-19", "04-21", "04-22", "05-30", "06-09", "06-10"),
}


@pytest.mark.parametrize("year", sorted(MOVABLE_HOLIDAYS))
def test_movable_holidays_match_the_research_table(year: int) -> None:
    expected = {date.fromisoformat(f"{year}-{month_day}") for month_day in MOVABLE_HOLIDAYS[year]}
    fixed = {date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)}
    assert danish_public_holidays(year) == expected | fixed
    assert easter_sunday(year) == date.fromisoformat(f"{year}-{MOVABLE_HOLIDAYS[year][2]}")


@pytest.mark.parametrize(
    ("store_bededag", "is_holiday"),
    [
        (date(2023, 5, 5), True),
        (date(2024, 4, 26), False),
        (date(2025, 5, 16), False),
        (date(2026, 5, 1), False),
        (date(2030, 5, 17), False),
    ],
)
def test_store_bededag_is_a_holiday_only_until_2023(store_bededag: date, is_holiday: bool) -> None:
    assert store_bededag == easter_sunday(store_bededag.year) + timedelta(days=26)
    assert CALENDAR.is_public_holiday(store_bededag) is is_holiday
    assert CALENDAR.is_office_day(store_bededag) is not is_holiday
    assert CALENDAR.is_legal_hverdag(store_bededag) is not is_holiday


@pytest.mark.parametrize(
    ("day", "office_day", "legal_hverdag"),
    [
        (date(2026, 4, 2), False, False),  # skærtorsdag
        (date(2026, 4, 3), False, False),  # langfredag
        (date(2026, 4, 6), False, False),  # 2. påskedag
        (date(2026, 5, 14), False, False),  # Kristi himmelfartsdag
        (date(2026, 5, 15), True, True),  # Friday after Ascension: open unless configured
        (date(2026, 5, 25), False, False),  # 2. pinsedag
        (date(2026, 6, 5), False, True),  # Grundlovsdag: office closed, still a legal hverdag
        (date(2026, 12, 24), False, True),  # juleaftensdag
        (date(2026, 12, 31), False, True),  # nytårsaftensdag
        (date(2026, 12, 25), False, False),
        (date(2026, 3, 7), False, False),  # Saturday
        (date(2026, 3, 9), True, True),  # ordinary Monday
    ],
)
def test_office_days_and_legal_hverdage(day: date, office_day: bool, legal_hverdag: bool) -> None:
    assert CALENDAR.is_office_day(day) is office_day
    assert CALENDAR.is_legal_hverdag(day) is legal_hverdag


def test_friday_after_ascension_can_be_configured_closed() -> None:
    calendar = OfficeCalendar(CONFIG.model_copy(update={"office_closed_day_after_ascension": True}))
    assert not calendar.is_office_day(date(2026, 5, 15))
    assert calendar.is_office_day(date(2026, 5, 22))


def test_an_office_staffed_on_public_holidays_keeps_its_hours_and_the_statutory_days_stay() -> None:
    christmas_day = date(2026, 12, 25)  # a Friday
    assert not CALENDAR.is_office_day(christmas_day)
    calendar = OfficeCalendar(CONFIG.model_copy(update={"office_closed_on_public_holidays": False}))
    assert calendar.office_hours_on(christmas_day) == CONFIG.office_hours[Weekday.FRIDAY]
    assert not calendar.is_legal_hverdag(christmas_day)  # barnets lov counts hverdage, whatever the office does
    assert not calendar.is_office_day(date(2026, 12, 24))  # closed by local custom all the same


@pytest.mark.parametrize(
    ("instant", "context"),
    [
        ("2026-03-02T07:59:59+01:00", TimeContext.ALL_CLOSED),
        ("2026-03-02T08:00:00+01:00", TimeContext.OFFICE_OPEN),
        ("2026-03-02T14:59:59.999999+01:00", TimeContext.OFFICE_OPEN),
        ("2026-03-02T15:00:00+01:00", TimeContext.HOTLINE_ONLY),  # Monday closes at 15:00 exactly
        ("2026-03-05T16:59:00+01:00", TimeContext.OFFICE_OPEN),  # Thursday until 17:00
        ("2026-03-05T17:00:00+01:00", TimeContext.HOTLINE_ONLY),
        ("2026-03-06T12:59:00+01:00", TimeContext.OFFICE_OPEN),  # Friday until 13:00
        ("2026-03-06T13:00:00+01:00", TimeContext.HOTLINE_ONLY),
        ("2026-03-06T21:59:59+01:00", TimeContext.HOTLINE_ONLY),
        ("2026-03-06T22:00:00+01:00", TimeContext.ALL_CLOSED),  # hotline is [08:00, 22:00)
        ("2026-03-07T10:00:00+01:00", TimeContext.HOTLINE_ONLY),  # Saturday
        ("2026-12-24T10:00:00+01:00", TimeContext.HOTLINE_ONLY),  # juleaftensdag
        ("2026-06-05T10:00:00+02:00", TimeContext.HOTLINE_ONLY),  # Grundlovsdag
        ("2026-03-02T14:30:00Z", TimeContext.HOTLINE_ONLY),  # 15:30 local, given in UTC
        ("2026-03-02T13:30:00Z", TimeContext.OFFICE_OPEN),
    ],
)
def test_time_context_uses_half_open_local_intervals(instant: str, context: TimeContext) -> None:
    assert CALENDAR.time_context(at(instant)) is context


@pytest.mark.parametrize(
    ("instant", "context"),
    [
        # Spring forward 2026-03-29 02:00 CET -> 03:00 CEST; the next Monday opens 08:00 CEST = 06:00 UTC.
        ("2026-03-30T05:59:59Z", TimeContext.ALL_CLOSED),
        ("2026-03-30T06:00:00Z", TimeContext.OFFICE_OPEN),
        ("2026-03-30T12:59:59Z", TimeContext.OFFICE_OPEN),
        ("2026-03-30T13:00:00Z", TimeContext.HOTLINE_ONLY),  # 15:00 CEST
        ("2026-03-29T05:59:59Z", TimeContext.ALL_CLOSED),
        ("2026-03-29T06:00:00Z", TimeContext.HOTLINE_ONLY),  # hotline opens 08:00 CEST
        ("2026-03-29T20:00:00Z", TimeContext.ALL_CLOSED),  # 22:00 CEST
        # Fall back 2026-10-25 03:00 CEST -> 02:00 CET; Monday opens 08:00 CET = 07:00 UTC.
        ("2026-10-26T06:59:59Z", TimeContext.ALL_CLOSED),
        ("2026-10-26T07:00:00Z", TimeContext.OFFICE_OPEN),
        ("2026-10-25T06:59:59Z", TimeContext.ALL_CLOSED),
        ("2026-10-25T07:00:00Z", TimeContext.HOTLINE_ONLY),
        ("2026-10-25T20:59:59Z", TimeContext.HOTLINE_ONLY),  # 21:59:59 CET
        ("2026-10-25T21:00:00Z", TimeContext.ALL_CLOSED),
    ],
)
def test_time_context_on_dst_change_days(instant: str, context: TimeContext) -> None:
    assert CALENDAR.time_context(at(instant)) is context


@pytest.mark.parametrize("fold", [0, 1])
def test_the_repeated_autumn_hour_is_closed_either_way(fold: int) -> None:
    ambiguous = datetime(2026, 10, 25, 2, 30, fold=fold, tzinfo=CONFIG.zone)
    assert CALENDAR.time_context(ambiguous) is TimeContext.ALL_CLOSED
    assert CALENDAR.next_office_opening(ambiguous) == at("2026-10-26T08:00:00+01:00")


@pytest.mark.parametrize(
    ("instant", "next_opening"),
    [
        ("2026-03-03T10:00:00+01:00", "2026-03-03T10:00:00+01:00"),  # open now: the instant itself
        ("2026-03-03T07:00:00+01:00", "2026-03-03T08:00:00+01:00"),
        ("2026-03-03T15:00:00+01:00", "2026-03-04T08:00:00+01:00"),
        ("2026-03-06T13:00:00+01:00", "2026-03-09T08:00:00+01:00"),  # Friday afternoon -> Monday
        ("2026-03-27T13:30:00+01:00", "2026-03-30T08:00:00+02:00"),  # across spring DST
        ("2026-04-01T16:00:00+02:00", "2026-04-07T08:00:00+02:00"),  # across Easter
        ("2026-06-04T18:00:00+02:00", "2026-06-08T08:00:00+02:00"),  # Grundlovsdag Friday
        ("2026-12-23T16:00:00+01:00", "2026-12-28T08:00:00+01:00"),  # 24/12, 25/12, weekend
        ("2026-12-30T16:00:00+01:00", "2027-01-04T08:00:00+01:00"),  # 31/12, 1/1, weekend
        ("2026-10-23T14:00:00+02:00", "2026-10-26T08:00:00+01:00"),  # across autumn DST
    ],
)
def test_next_office_opening(instant: str, next_opening: str) -> None:
    assert CALENDAR.next_office_opening(at(instant)) == at(next_opening)


def test_next_office_opening_is_in_utc() -> None:
    assert CALENDAR.next_office_opening(at("2026-03-27T13:30:00+01:00")).tzinfo is UTC


@pytest.mark.parametrize(
    ("receipt_date", "office_days", "closing"),
    [
        (date(2026, 3, 6), 1, "2026-03-09T15:00:00+01:00"),  # Friday -> Monday close
        (date(2026, 3, 4), 1, "2026-03-05T17:00:00+01:00"),  # Wednesday -> Thursday 17:00
        (date(2026, 3, 3), 3, "2026-03-06T13:00:00+01:00"),  # Tuesday -> Friday 13:00
        (date(2026, 6, 3), 3, "2026-06-09T15:00:00+02:00"),  # skips Grundlovsdag
        (date(2026, 3, 28), 1, "2026-03-30T15:00:00+02:00"),  # Saturday before spring DST
    ],
)
def test_closing_of_nth_office_day_after_receipt(receipt_date: date, office_days: int, closing: str) -> None:
    assert CALENDAR.office_closing_after(receipt_date, office_days) == at(closing)


@pytest.mark.parametrize(
    ("receipt_date", "sixth_hverdag"),
    [
        (date(2026, 3, 3), date(2026, 3, 11)),  # Tuesday; the receipt day is not counted
        (date(2026, 3, 2), date(2026, 3, 10)),  # Monday
        (date(2026, 3, 7), date(2026, 3, 16)),  # Saturday
        (date(2026, 3, 27), date(2026, 4, 9)),  # Easter: 2, 3 and 6 April are no hverdage
        (date(2026, 12, 22), date(2026, 12, 31)),  # 24/12 and 31/12 count as hverdage
        (date(2024, 4, 19), date(2024, 4, 29)),  # Store Bededag 26/4/2024 counts since 2024
        (date(2023, 4, 28), date(2023, 5, 9)),  # ... but not 5/5/2023
    ],
)
def test_sixth_hverdag_after_receipt(receipt_date: date, sixth_hverdag: date) -> None:
    assert CALENDAR.nth_hverdag_after(receipt_date, 6) == sixth_hverdag


def test_hverdag_policy_can_exclude_days_the_office_is_closed() -> None:
    strict = OfficeCalendar(CONFIG.model_copy(update={"legal_hverdag_counts_office_closed_days": False}))
    assert strict.nth_hverdag_after(date(2026, 12, 22), 6) == date(2027, 1, 5)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        CALENDAR.time_context(datetime(2026, 3, 3, 10, 0))


@pytest.mark.parametrize(
    ("start", "end", "office_days"),
    [
        ("2026-03-02T10:00:00+01:00", "2026-03-02T23:00:00+01:00", 0),  # the same day
        ("2026-03-06T10:00:00+01:00", "2026-03-09T09:00:00+01:00", 1),  # Friday to Monday
        ("2026-04-01T10:00:00+02:00", "2026-04-07T10:00:00+02:00", 1),  # Easter: 2, 3 and 6 April are closed
        ("2026-05-13T10:00:00+02:00", "2026-05-15T10:00:00+02:00", 1),  # Ascension closed, the Friday after open
        ("2026-06-04T10:00:00+02:00", "2026-06-08T10:00:00+02:00", 1),  # Grundlovsdag (a Friday) closed
        ("2026-12-23T10:00:00+01:00", "2027-01-04T10:00:00+01:00", 4),  # 28-30/12 and 4/1
        ("2026-03-03T23:30:00+00:00", "2026-03-04T00:30:00+01:00", 0),  # both are 4 March in Denmark
        ("2026-03-09T10:00:00+01:00", "2026-03-02T10:00:00+01:00", 0),  # the end before the start
    ],
)
def test_office_days_of_the_danish_administration_between_two_instants(start: str, end: str, office_days: int) -> None:
    assert ADMINISTRATION_OFFICE_DAYS.office_days_between(at(start), at(end)) == office_days


def test_ishoj_keeps_the_office_days_of_the_danish_administration() -> None:
    days = (date(2024, 1, 1) + timedelta(days=n) for n in range(7 * 366))
    assert all(CALENDAR.is_office_day(day) is ADMINISTRATION_OFFICE_DAYS.is_office_day(day) for day in days)
