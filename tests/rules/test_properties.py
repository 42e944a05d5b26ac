"""Properties of the routing decision over generated concerns and receipt instants.

The instants concentrate on where calendars break: every DST change and every public holiday or
office-closed day 2024-2030, at the edges of office and hotline hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.concern import ConcernIn
from contracts.events import Destination, Priority
from rules.calendar import OfficeCalendar, danish_public_holidays, easter_sunday
from rules.decision import Decision
from rules.decision_table import decide
from rules.messages import render_reporter_messages
from rules.vocabulary import DuplicateKind, MessageId, TimeContext
from tests.routing.builders import CONFIG, REPORTERS

ZONE = CONFIG.zone
CALENDAR = OfficeCalendar(CONFIG)
YEARS = range(2024, 2031)
EDGE_TIMES = [time(h, m) for h, m in [(0, 0), (7, 59), (8, 0), (12, 59), (13, 0), (14, 59), (15, 0),
                                      (16, 59), (17, 0), (21, 59), (22, 0), (23, 59)]]  # fmt: skip


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _dst_instants() -> list[datetime]:
    changes = [
        datetime.combine(_last_sunday(year, month), time(1, 0), tzinfo=UTC)  # 01:00 UTC in both directions
        for year in YEARS
        for month in (3, 10)
    ]
    return [change + timedelta(minutes=20 * step) for change in changes for step in range(-4, 5)]


def _closed_days() -> list[date]:
    days = {day for year in YEARS for day in danish_public_holidays(year)}
    days |= {date(year, month, day) for year in YEARS for month, day in CONFIG.closed_month_days()}
    days |= {easter_sunday(year) + timedelta(days=26) for year in YEARS}  # former Store Bededag
    return sorted(days)


def _holiday_instants() -> list[datetime]:
    return [
        datetime.combine(day + timedelta(days=offset), wall_clock, tzinfo=ZONE)
        for day in _closed_days()
        for offset in (-1, 0)
        for wall_clock in EDGE_TIMES
    ]


received_ats = st.one_of(
    st.sampled_from(_dst_instants()),
    st.sampled_from(_holiday_instants()),
    st.datetimes(
        min_value=datetime(2024, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.sampled_from([UTC, ZONE]),
        allow_imaginary=False,
    ),
)

cprs = st.one_of(
    st.from_regex(r"[0-9]{10}", fullmatch=True),  # mostly impossible dates: unusable
    st.builds(
        lambda born, digit, rest: f"{born:%d%m%y}{digit}{rest:03d}",
        st.dates(date(1900, 1, 1), date(2026, 12, 31)),
        st.integers(0, 9),
        st.integers(0, 999),
    ),
)
people = st.fixed_dictionaries(
    {},
    optional={
        "cpr": cprs,
        "date_of_birth": st.dates(date(1900, 1, 1), date(2031, 12, 31)).map(date.isoformat),
        "stated_age": st.integers(0, 130),
        "municipality": st.sampled_from(["Ishøj", "Brøndby", "ishøj kommune"]),
    },
)


@st.composite
def concerns(draw: st.DrawFn) -> ConcernIn:
    body: dict[str, Any] = {
        "submission_id": "prop-test-submission",
        "channel": "WEB",
        "reporter": draw(st.sampled_from(sorted(REPORTERS.values(), key=str))),
        "subjects": draw(st.lists(people, min_size=1, max_size=3)),
        "children_at_risk": draw(st.lists(people, max_size=2)),
        "description": "Bekymring.",
        "acuteness": draw(st.sampled_from(["ACUTE", "URGENT", "ROUTINE"])),
        "crime_suspicion": draw(st.booleans()),
    }
    return ConcernIn.model_validate(body)


def utc(moment: datetime) -> datetime:
    # Compare in UTC: datetimes sharing one ZoneInfo compare by wall clock, wrong in the repeated hour.
    return moment.astimezone(UTC)


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


@PROPERTY_SETTINGS
@given(concerns(), received_ats)
def test_every_concern_reaches_the_infohus(concern: ConcernIn, received_at: datetime) -> None:
    decision = decide(concern, received_at, CONFIG)
    assert decision.destinations
    assert Destination.INFOHUS_TK in decision.destinations
    assert len(decision.age_bands) == len(concern.subjects)


@PROPERTY_SETTINGS
@given(concerns(), received_ats)
def test_possible_minor_always_gets_an_underretning(concern: ConcernIn, received_at: datetime) -> None:
    decision = decide(concern, received_at, CONFIG)
    if decision.minor_possible:
        assert decision.underretninger
        assert Destination.UNDERRETNING in decision.destinations
        assert decision.priority in (Priority.P0, Priority.P1)
    else:
        assert not decision.underretninger


@PROPERTY_SETTINGS
@given(concerns(), received_ats)
def test_no_deadline_precedes_receipt(concern: ConcernIn, received_at: datetime) -> None:
    decision = decide(concern, received_at, CONFIG)
    receipt_date = utc(received_at).astimezone(ZONE).date()
    assert utc(decision.infohus_triage_due) >= utc(received_at)
    assert utc(decision.next_office_opening) >= utc(received_at)
    for underretning in decision.underretninger:
        assert utc(underretning.assessment_due_at) - utc(received_at) == timedelta(hours=24)
        due_date = underretning.receipt_confirmation_due_date
        assert due_date is None or due_date > receipt_date
    # Every time is rendered in local time with the offset in force at that instant.
    for moment in (decision.infohus_triage_due, decision.next_office_opening):
        assert moment.utcoffset() == utc(moment).astimezone(ZONE).utcoffset()


@PROPERTY_SETTINGS
@given(concerns(), received_ats)
def test_time_context_messages_and_next_opening_agree(concern: ConcernIn, received_at: datetime) -> None:
    decision = decide(concern, received_at, CONFIG)
    is_open = decision.time_context is TimeContext.OFFICE_OPEN
    assert (utc(decision.next_office_opening) == utc(received_at)) is is_open
    assert CALENDAR.is_office_open(decision.next_office_opening)
    assert (MessageId.M_OPEN in decision.reporter_messages) is is_open
    assert (MessageId.M_CLOSED_NEXT in decision.reporter_messages) is not is_open
    assert (MessageId.M_HOTLINE in decision.reporter_messages) is (
        decision.time_context is TimeContext.HOTLINE_ONLY
    )
    acute = concern.acuteness == "ACUTE"
    assert (decision.reporter_messages[0] is MessageId.M_112_FIRST) is acute
    assert (decision.priority is Priority.P0) is acute


@PROPERTY_SETTINGS
@given(concerns(), received_ats)
def test_decision_is_deterministic_and_round_trips(concern: ConcernIn, received_at: datetime) -> None:
    decision = decide(concern, received_at, CONFIG)
    assert decide(concern, received_at, CONFIG) == decision
    assert Decision.model_validate(decision.model_dump(mode="json")) == decision
    assert decision.config_version == CONFIG.version


@PROPERTY_SETTINGS
@given(concerns(), received_ats)
def test_every_reporter_message_renders(concern: ConcernIn, received_at: datetime) -> None:
    decision = decide(concern, received_at, CONFIG)
    messages = render_reporter_messages(
        decision,
        reference="IH-X",
        received_at=received_at,
        config=CONFIG,
        contactable=concern.reporter.contactable,
    )
    assert [message.id for message in messages] == list(decision.reporter_messages)
    assert all(message.text and "{" not in message.text for message in messages)


@PROPERTY_SETTINGS
@given(concerns(), received_ats, st.sampled_from([DuplicateKind.EXACT, DuplicateKind.NEAR]))
def test_duplicates_create_nothing(
    concern: ConcernIn, received_at: datetime, duplicate: DuplicateKind
) -> None:
    decision = decide(concern, received_at, CONFIG, duplicate=duplicate)
    assert decision.destinations == ()
    assert decision.underretninger == ()
    assert MessageId.M_ACK in decision.reporter_messages
