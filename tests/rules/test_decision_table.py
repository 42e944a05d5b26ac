"""One table-driven test per rule of docs/legal.md §C.2 (R0-R12), plus priority and triage SLA."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from contracts.events import Destination, Priority
from rules.age import AgeBand
from rules.decision_table import decide
from rules.vocabulary import DuplicateKind, Flag, MessageId, TimeContext, UnderretningLegalType
from tests.routing.builders import (
    ADULT,
    CLOSED_SATURDAY_NIGHT,
    CLOSED_TUESDAY_NIGHT,
    CONFIG,
    HOTLINE_FRIDAY,
    HOTLINE_TUESDAY,
    MINOR,
    NEAR_18,
    OPEN_TUESDAY,
    UNKNOWN_AGE,
    at,
    concern,
    person,
)

D = Destination
M = MessageId


def decide_at(instant: str = OPEN_TUESDAY, duplicate: DuplicateKind = DuplicateKind.NEW, **kwargs: Any):
    return decide(concern(**kwargs), at(instant), CONFIG, duplicate=duplicate)


# --- R0a / R0b -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duplicate", "acuteness", "rule", "flags", "messages"),
    [
        (DuplicateKind.EXACT, "ROUTINE", "R0a", (Flag.DUPLICATE_EXACT,), (M.M_ACK, M.M_112_LINE)),
        (DuplicateKind.EXACT, "ACUTE", "R0a", (Flag.DUPLICATE_EXACT,), (M.M_112_FIRST, M.M_ACK)),
        (
            DuplicateKind.NEAR,
            "ROUTINE",
            "R0b",
            (Flag.DUPLICATE_NEAR, Flag.SUPPLEMENT_TO_ORIGINAL),
            (M.M_ACK, M.M_112_LINE),
        ),
    ],
)
def test_r0_duplicates_create_nothing_new(
    duplicate: DuplicateKind, acuteness: str, rule: str, flags: tuple[Flag, ...], messages: tuple[M, ...]
) -> None:
    # A minor, acute-or-not concern out of hours would otherwise open an underretning and escalate.
    decision = decide_at(CLOSED_SATURDAY_NIGHT, duplicate, subjects=[person(MINOR)], acuteness=acuteness)
    assert decision.destinations == ()
    assert decision.underretninger == ()
    assert decision.rules_fired == (rule,)
    assert decision.flags == flags
    assert decision.reporter_messages == messages
    assert decision.age_bands == (AgeBand.MINOR,)  # classification kept for information


# --- R1 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "subject", "acuteness", "shows_112_line"),
    [
        (OPEN_TUESDAY, ADULT, "ROUTINE", True),
        (CLOSED_SATURDAY_NIGHT, MINOR, "URGENT", True),
        (HOTLINE_TUESDAY, UNKNOWN_AGE, "ACUTE", False),  # M_112_FIRST replaces the line
    ],
)
def test_r1_every_new_concern_goes_to_the_infohus(
    instant: str, subject: dict[str, Any], acuteness: str, shows_112_line: bool
) -> None:
    decision = decide_at(instant, subjects=[person(subject)], acuteness=acuteness)
    assert decision.rules_fired[0] == "R1"
    assert decision.destinations[0] is D.INFOHUS_TK
    assert M.M_ACK in decision.reporter_messages
    assert (M.M_112_LINE in decision.reporter_messages) is shows_112_line


# --- R2 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reporter", "subject", "legal_type", "receipt_date", "orientation", "message"),
    [
        ("PROF_PUBLIC", MINOR, UnderretningLegalType.BL_133, date(2026, 3, 11), True, M.M_UND_PROF),
        ("PROF_PUBLIC_NO_CONTACT", MINOR, UnderretningLegalType.BL_133, None, False, M.M_UND_PROF),
        ("PROF_BEK1602", NEAR_18, UnderretningLegalType.BL_BEK1602, date(2026, 3, 11), True, M.M_UND_PROF),
        ("SELF", MINOR, UnderretningLegalType.CHILD_SELF_CONTACT, date(2026, 3, 11), False, M.M_UND_SELF),
        ("CITIZEN", MINOR, UnderretningLegalType.BL_135, date(2026, 3, 11), False, M.M_UND_CITIZEN),
        ("CITIZEN_NO_CONTACT", MINOR, UnderretningLegalType.BL_135, None, False, M.M_UND_CITIZEN),
        (
            "CITIZEN",
            UNKNOWN_AGE,
            UnderretningLegalType.UNDETERMINED,
            date(2026, 3, 11),
            False,
            M.M_UND_CITIZEN,
        ),
        ("PROF_PUBLIC", UNKNOWN_AGE, UnderretningLegalType.BL_133, date(2026, 3, 11), True, M.M_UND_PROF),
        # A partner authority's employee is a public employee: § 133, with receipt and orientation.
        ("PARTNER_AUTHORITY", MINOR, UnderretningLegalType.BL_133, date(2026, 3, 11), True, M.M_UND_PROF),
        ("SELF_ANONYMOUS", MINOR, UnderretningLegalType.CHILD_SELF_CONTACT, None, False, M.M_UND_SELF),
        ("ANONYMOUS", MINOR, UnderretningLegalType.BL_135, None, False, M.M_UND_CITIZEN),
    ],
)
def test_r2_underretning_for_a_possibly_minor_subject(
    reporter: str,
    subject: dict[str, Any],
    legal_type: UnderretningLegalType,
    receipt_date: date | None,
    orientation: bool,
    message: MessageId,
) -> None:
    decision = decide_at(OPEN_TUESDAY, reporter=reporter, subjects=[person(subject)])
    assert "R2" in decision.rules_fired
    assert D.UNDERRETNING in decision.destinations
    [underretning] = decision.underretninger
    assert underretning.subject == "subjects[0]"
    assert underretning.legal_type is legal_type
    assert underretning.assessment_due_at == at(OPEN_TUESDAY) + timedelta(hours=24)
    assert underretning.receipt_confirmation_due_date == receipt_date
    assert underretning.professional_orientation_required is orientation
    assert message in decision.reporter_messages
    assert (M.M_AGE_UNKNOWN in decision.reporter_messages) is (subject is UNKNOWN_AGE)
    assert decision.priority is Priority.P1


@pytest.mark.parametrize(
    ("subjects", "underretning_subjects"),
    [
        ([person(ADULT)], []),
        ([person(ADULT), person(MINOR), person(UNKNOWN_AGE)], ["subjects[1]", "subjects[2]"]),
        # Conflicting sources: the band follows the CPR (adult), but the DOB says minor.
        ([person(cpr="010190-1234", date_of_birth="2012-01-01")], ["subjects[0]"]),
    ],
)
def test_r2_fires_per_possibly_minor_subject(
    subjects: list[dict[str, Any]], underretning_subjects: list[str]
) -> None:
    decision = decide_at(subjects=subjects)
    assert [u.subject for u in decision.underretninger] == underretning_subjects
    assert ("R2" in decision.rules_fired) is bool(underretning_subjects)
    assert decision.minor_possible is bool(underretning_subjects)


def test_r2_self_contact_applies_only_to_the_reporter_themself() -> None:
    decision = decide_at(reporter="SELF", subjects=[person(MINOR), person(MINOR)])
    assert [u.legal_type for u in decision.underretninger] == [
        UnderretningLegalType.CHILD_SELF_CONTACT,
        UnderretningLegalType.BL_135,
    ]


# --- R3 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "children", "underretning_subjects", "rules"),
    [
        (ADULT, [], [], set()),
        (ADULT, [person(MINOR)], ["children_at_risk[0]"], {"R3"}),
        (
            ADULT,
            [person(MINOR), person(UNKNOWN_AGE), person(ADULT)],  # a grown-up "child" gets no underretning
            ["children_at_risk[0]", "children_at_risk[1]"],
            {"R3"},
        ),
        (MINOR, [person(MINOR)], ["subjects[0]", "children_at_risk[0]"], {"R2", "R3"}),
    ],
)
def test_r3_underretning_for_children_at_risk(
    subject: dict[str, Any], children: list[dict[str, Any]], underretning_subjects: list[str], rules: set[str]
) -> None:
    decision = decide_at(reporter="PROF_PUBLIC", subjects=[person(subject)], children=children)
    assert [u.subject for u in decision.underretninger] == underretning_subjects
    assert {"R2", "R3"} & set(decision.rules_fired) == rules
    assert (D.UNDERRETNING in decision.destinations) is bool(underretning_subjects)
    assert all(u.legal_type is UnderretningLegalType.BL_133 for u in decision.underretninger)
    assert decision.priority is (Priority.P1 if rules else Priority.P2)


# --- R4 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "ooh", "triage_due"),
    [
        (OPEN_TUESDAY, False, "2026-03-03T11:00:00+01:00"),  # open now: received_at + 1 h
        (HOTLINE_TUESDAY, True, "2026-03-04T08:00:00+01:00"),  # next office opening
        (CLOSED_SATURDAY_NIGHT, True, "2026-03-09T08:00:00+01:00"),
    ],
)
def test_r4_acute(instant: str, ooh: bool, triage_due: str) -> None:
    decision = decide_at(instant, acuteness="ACUTE")
    assert "R4" in decision.rules_fired
    assert decision.priority is Priority.P0
    assert {Flag.ACUTE, Flag.DISCLOSURE_PROPOSED_TASK} <= set(decision.flags)
    assert (D.OOH_ESCALATION in decision.destinations) is ooh
    assert (Flag.OOH_CHANNEL_NOT_CONFIGURED in decision.flags) is ooh
    assert decision.reporter_messages[0] is M.M_112_FIRST
    assert M.M_112_LINE not in decision.reporter_messages
    assert decision.infohus_triage_due == at(triage_due)


def test_r4_with_a_configured_on_call_channel_raises_no_missing_channel_flag() -> None:
    config = CONFIG.model_copy(update={"ooh_escalation_channel": "vagt@ishoj.dk"})
    decision = decide(concern(acuteness="ACUTE"), at(CLOSED_SATURDAY_NIGHT), config)
    assert D.OOH_ESCALATION in decision.destinations
    assert Flag.OOH_CHANNEL_NOT_CONFIGURED not in decision.flags


@pytest.mark.parametrize("acuteness", ["ROUTINE", "URGENT"])
def test_r4_does_not_fire_without_acuteness(acuteness: str) -> None:
    decision = decide_at(CLOSED_SATURDAY_NIGHT, acuteness=acuteness)
    assert "R4" not in decision.rules_fired
    assert Flag.ACUTE not in decision.flags
    assert D.OOH_ESCALATION not in decision.destinations


# --- R5 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crime", "acuteness", "fires", "tells_114", "priority"),
    [
        (False, "ROUTINE", False, False, Priority.P2),
        (True, "ROUTINE", True, True, Priority.P1),
        (True, "ACUTE", True, False, Priority.P0),  # M_112_FIRST already covers it
    ],
)
def test_r5_crime_suspicion(
    crime: bool, acuteness: str, fires: bool, tells_114: bool, priority: Priority
) -> None:
    decision = decide_at(crime=crime, acuteness=acuteness)
    assert ("R5" in decision.rules_fired) is fires
    assert (Flag.CRIME_SUSPICION in decision.flags) is fires
    assert (M.M_POLICE_114 in decision.reporter_messages) is tells_114
    assert decision.priority is priority


# --- R6 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acuteness", "fires", "priority"),
    [("ROUTINE", False, Priority.P2), ("URGENT", True, Priority.P1), ("ACUTE", False, Priority.P0)],
)
def test_r6_urgent(acuteness: str, fires: bool, priority: Priority) -> None:
    decision = decide_at(acuteness=acuteness)
    assert ("R6" in decision.rules_fired) is fires
    assert (Flag.URGENT in decision.flags) is fires
    assert decision.priority is priority


# --- R7 / R8 / R9 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "context", "rule", "messages"),
    [
        (OPEN_TUESDAY, TimeContext.OFFICE_OPEN, "R7", [M.M_OPEN]),
        (HOTLINE_TUESDAY, TimeContext.HOTLINE_ONLY, "R8", [M.M_CLOSED_NEXT, M.M_HOTLINE]),
        (CLOSED_TUESDAY_NIGHT, TimeContext.ALL_CLOSED, "R9", [M.M_CLOSED_NEXT]),
    ],
)
def test_r7_r8_r9_tell_the_reporter_about_opening_hours(
    instant: str, context: TimeContext, rule: str, messages: list[MessageId]
) -> None:
    decision = decide_at(instant)
    assert decision.time_context is context
    assert [r for r in decision.rules_fired if r in {"R7", "R8", "R9"}] == [rule]
    time_messages = {M.M_OPEN, M.M_CLOSED_NEXT, M.M_HOTLINE}
    assert [m for m in decision.reporter_messages if m in time_messages] == messages


@pytest.mark.parametrize(
    ("instant", "subject", "at_risk"),
    [
        (HOTLINE_FRIDAY, MINOR, True),  # due Sat 14:00 < Mon 08:00 (R8)
        (CLOSED_SATURDAY_NIGHT, MINOR, True),  # due Sun 02:00 < Mon 08:00 (R9)
        (HOTLINE_TUESDAY, MINOR, False),  # due Wed 16:00 > Wed 08:00
        (CLOSED_TUESDAY_NIGHT, MINOR, False),  # due Wed 23:00 > Wed 08:00
        (HOTLINE_FRIDAY, ADULT, False),  # no underretning, no 24-hour clock
        ("2026-04-02T10:00:00+02:00", MINOR, True),  # skærtorsdag: next opening Tue 7 April
    ],
)
def test_r8_r9_escalate_when_the_24_hour_clock_ends_before_the_office_opens(
    instant: str, subject: dict[str, Any], at_risk: bool
) -> None:
    decision = decide_at(instant, subjects=[person(subject)])
    assert decision.time_context is not TimeContext.OFFICE_OPEN
    assert (Flag.ASSESSMENT_DEADLINE_AT_RISK in decision.flags) is at_risk
    assert (D.OOH_ESCALATION in decision.destinations) is at_risk


# --- R10 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject_municipality", "child_municipality", "fires"),
    [
        ("Ishøj", None, False),
        ("  ishøj   Kommune ", None, False),
        ("ISHOJ", None, False),
        (None, None, False),  # unknown residence is not "other"
        ("Brøndby", None, True),
        ("Ishøj", "Vallensbæk", True),
    ],
)
def test_r10_other_municipality_needs_a_jurisdiction_review(
    subject_municipality: str | None, child_municipality: str | None, fires: bool
) -> None:
    children = [person(MINOR, municipality=child_municipality)] if child_municipality else []
    decision = decide_at(subjects=[person(MINOR, municipality=subject_municipality)], children=children)
    assert ("R10" in decision.rules_fired) is fires
    assert (D.JURISDICTION_REVIEW in decision.destinations) is fires
    assert (Flag.JURISDICTION_OTHER in decision.flags) is fires
    assert (M.M_JURISDICTION in decision.reporter_messages) is fires
    assert decision.underretninger, "the clocks start whatever the jurisdiction"


# --- R11 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reporter", "fires"),
    [("ANONYMOUS_PROFESSIONAL", True), ("ANONYMOUS", False), ("PROF_PUBLIC", False), ("CITIZEN", False)],
)
def test_r11_anonymous_professional_is_warned(reporter: str, fires: bool) -> None:
    decision = decide_at(reporter=reporter, subjects=[person(MINOR)])
    assert ("R11" in decision.rules_fired) is fires
    assert (M.M_PROF_ANON_WARNING in decision.reporter_messages) is fires
    assert (Flag.ANONYMOUS_PROFESSIONAL in decision.flags) is fires
    if fires:
        [underretning] = decision.underretninger
        assert underretning.receipt_confirmation_due_date is None
        assert not underretning.professional_orientation_required


# --- R12 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reporter", "subject", "fires"),
    [
        ("SELF", ADULT, True),
        ("SELF_ANONYMOUS", ADULT, True),  # anonymous, without contact data: still a § 12 b self-referral
        ("SELF", MINOR, False),
        ("SELF", NEAR_18, False),
        ("SELF", UNKNOWN_AGE, False),
        ("CITIZEN", ADULT, False),
    ],
)
def test_r12_adult_self_referral(reporter: str, subject: dict[str, Any], fires: bool) -> None:
    decision = decide_at(reporter=reporter, subjects=[person(subject)])
    assert ("R12" in decision.rules_fired) is fires
    assert (Flag.SELF_REFERRAL_SEL_12B in decision.flags) is fires
    assert (M.M_12B in decision.reporter_messages) is fires


# --- priority, triage SLA, classification flags -------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "kwargs", "priority", "triage_due"),
    [
        (OPEN_TUESDAY, {}, Priority.P2, "2026-03-06T13:00:00+01:00"),  # 3rd office day after: Friday close
        (OPEN_TUESDAY, {"subjects": [person(MINOR)]}, Priority.P1, "2026-03-04T15:00:00+01:00"),
        (HOTLINE_FRIDAY, {"crime": True}, Priority.P1, "2026-03-09T15:00:00+01:00"),
        ("2026-12-23T10:00:00+01:00", {}, Priority.P2, "2026-12-30T15:00:00+01:00"),  # 24-27/12 closed
        ("2026-03-27T10:00:00+01:00", {"acuteness": "URGENT"}, Priority.P1, "2026-03-30T15:00:00+02:00"),
    ],
)
def test_priority_and_infohus_triage_sla(
    instant: str, kwargs: dict[str, Any], priority: Priority, triage_due: str
) -> None:
    decision = decide_at(instant, **kwargs)
    assert decision.priority is priority
    assert decision.infohus_triage_due == at(triage_due)


@pytest.mark.parametrize(
    ("subjects", "children", "flags"),
    [
        ([person(NEAR_18)], [], {Flag.ADULT_TRANSITION}),
        ([person(UNKNOWN_AGE)], [], {Flag.AGE_UNVERIFIED}),
        ([person(ADULT)], [person(UNKNOWN_AGE)], {Flag.AGE_UNVERIFIED}),
        ([person(cpr="0101901234", stated_age=15)], [], {Flag.AGE_CONFLICT}),
        ([person(cpr="3102121234", stated_age=15)], [], {Flag.CPR_UNUSABLE}),
        ([person(ADULT)], [], set()),
    ],
)
def test_classification_flags(
    subjects: list[dict[str, Any]], children: list[dict[str, Any]], flags: set[Flag]
) -> None:
    age_flags = {Flag.ADULT_TRANSITION, Flag.AGE_UNVERIFIED, Flag.AGE_CONFLICT, Flag.CPR_UNUSABLE}
    assert set(decide_at(subjects=subjects, children=children).flags) & age_flags == flags


def test_age_is_taken_on_the_local_receipt_date() -> None:
    # 23:30 UTC on 2 March is 00:30 on 3 March in Copenhagen: the subject turned 18 that morning.
    decision = decide_at("2026-03-02T23:30:00Z", subjects=[person(date_of_birth="2008-03-03")])
    assert decision.age_bands == (AgeBand.ADULT,)


def test_decision_records_the_config_version() -> None:
    config = CONFIG.model_copy(update={"version": "test-9"})
    assert decide(concern(), at(OPEN_TUESDAY), config).config_version == "test-9"


def test_transition_window_comes_from_config() -> None:
    config = CONFIG.model_copy(update={"transition_window_days": 10})
    decision = decide(concern(subjects=[person(NEAR_18)]), at(OPEN_TUESDAY), config)  # 17 days to go
    assert decision.age_bands == (AgeBand.MINOR,)


def test_received_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="offset"):
        decide(concern(), at(OPEN_TUESDAY).replace(tzinfo=None), CONFIG)
