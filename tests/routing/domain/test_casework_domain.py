"""The pure parts of items 4-6: the case state machine, clocks and near-duplicate fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.concern import ConcernIn
from contracts.events import DeadlineKind, Priority
from infohus.kit.auth.roles import Role
from services.routing.domain.actors import Actor
from services.routing.domain.case import CaseState, CloseReason, InfohusCase, Recommendation, TriageOutcome
from services.routing.domain.clocks import ClockKind, assessment_clock, triage_clock
from services.routing.domain.duplicates import fingerprint, is_near_duplicate
from services.routing.domain.errors import InvalidCommand, NotPermitted, TransitionNotAllowed

from ..builders import concern_body, person

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
MUNICIPAL = Actor("mette", Role.TOVHOLDER_MUNICIPAL)
POLICE = Actor("peter", Role.TOVHOLDER_POLICE)
KEY = b"test-key"


def new_case() -> InfohusCase:
    return InfohusCase.open(case_id=uuid4(), concern_id=uuid4(), reference="R", subject_index=0, person_id="p",
                            group_id=uuid4(), priority=Priority.P2, triage_due_at=T0 + timedelta(days=3), flags=(),
                            opened_at=T0, municipality="183")


def at_state(state: CaseState) -> InfohusCase:
    case = new_case()
    path = {
        CaseState.RECEIVED: [],
        CaseState.IN_SCOPE: ["triage"],
        CaseState.SCREENING: ["triage", "screen"],
        CaseState.ASSESSMENT: ["triage", "screen", "done_screen"],
        CaseState.RECOMMENDATION: ["triage", "screen", "done_screen", "assess"],
        CaseState.HANDED_OVER: ["triage", "screen", "done_screen", "assess", "recommend", "hand_over"],
    }[state]
    steps = {
        "triage": lambda: (case.sign_triage(MUNICIPAL, TriageOutcome.IN_SCOPE, T0),
                           case.sign_triage(POLICE, TriageOutcome.IN_SCOPE, T0)),
        "screen": lambda: case.start_screening(MUNICIPAL, T0),
        "done_screen": lambda: case.complete_screening(MUNICIPAL, T0, analysis_needed=False, sources_consulted=[]),
        "assess": lambda: case.issue_assessment(MUNICIPAL, T0, at_risk=False, summary_ref=None),
        "recommend": lambda: case.issue_recommendations(MUNICIPAL, T0, [Recommendation("Mentor", "ISHOEJ")]),
        "hand_over": lambda: case.hand_over(MUNICIPAL, T0, to_authorities=["ISHOEJ"]),
    }
    for step in path:
        steps[step]()
    assert case.state is state
    return case


def test_one_signature_does_not_triage_and_one_person_cannot_sign_twice() -> None:
    case = new_case()
    assert case.sign_triage(MUNICIPAL, TriageOutcome.IN_SCOPE, T0) is False
    assert case.state is CaseState.RECEIVED
    with pytest.raises(NotPermitted):
        case.sign_triage(Actor("mette", Role.TOVHOLDER_POLICE), TriageOutcome.IN_SCOPE, T0)
    with pytest.raises(NotPermitted):
        case.sign_triage(Actor("s", Role.STRAXEN), TriageOutcome.IN_SCOPE, T0)
    assert case.sign_triage(POLICE, TriageOutcome.IN_SCOPE, T0) is True
    assert case.state is CaseState.IN_SCOPE


@pytest.mark.parametrize(("state", "reason", "allowed"), [
    (CaseState.RECEIVED, CloseReason.OUT_OF_SCOPE, False),
    (CaseState.RECEIVED, CloseReason.WITHDRAWN_NOT_APPLICABLE, True),
    (CaseState.IN_SCOPE, CloseReason.NO_FURTHER_CONCERN, False),
    (CaseState.SCREENING, CloseReason.NO_FURTHER_CONCERN, True),
    (CaseState.RECOMMENDATION, CloseReason.HANDED_OVER, False),
    (CaseState.HANDED_OVER, CloseReason.HANDED_OVER, True),
    (CaseState.ASSESSMENT, CloseReason.MOVED, True),
])
def test_close_reasons_fit_the_stage(state: CaseState, reason: CloseReason, allowed: bool) -> None:
    case = at_state(state)
    entries = len(case.timeline)
    if allowed:
        case.close(MUNICIPAL, T0, reason)
        assert case.state is CaseState.CLOSED and case.timeline[-1].details == {"reason": reason.value}
    else:
        with pytest.raises(TransitionNotAllowed):
            case.close(MUNICIPAL, T0, reason)
        assert case.state is state and len(case.timeline) == entries


def test_hand_over_needs_recommendations_and_every_entry_names_actor_and_time() -> None:
    case = at_state(CaseState.RECOMMENDATION)
    with pytest.raises(TransitionNotAllowed):
        case.hand_over(MUNICIPAL, T0, to_authorities=["X"])
    with pytest.raises(InvalidCommand):
        case.issue_recommendations(MUNICIPAL, T0, [])
    assert all(entry.actor and entry.at for entry in case.timeline)
    assert [e.actor for e in case.timeline[:3]] == ["system:routing", "mette", "peter"]


def test_triage_due_only_moves_earlier_and_says_so() -> None:
    case = new_case()
    case.move_triage_due(T0, T0 + timedelta(days=5), "later")
    assert case.triage_due_at == T0 + timedelta(days=3) and case.timeline[-1].action == "OPENED"
    case.move_triage_due(T0, T0 + timedelta(days=1), "earlier")
    assert case.triage_due_at == T0 + timedelta(days=1) and case.timeline[-1].action == "TRIAGE_DUE_MOVED"


def test_clock_owes_warning_then_breach_and_a_late_stop_still_owes_the_breach() -> None:
    clock = triage_clock(case_id=uuid4(), concern_id=uuid4(), received_at=T0, due_at=T0 + timedelta(hours=4),
                         fraction=0.75)
    assert clock.owed(T0 + timedelta(hours=2, minutes=59), set()) == []
    assert clock.owed(T0 + timedelta(hours=3), set()) == [DeadlineKind.TRIAGE_75]
    assert clock.owed(T0 + timedelta(hours=4), {DeadlineKind.TRIAGE_75}) == [DeadlineKind.TRIAGE_BREACHED]
    clock.stop(T0 + timedelta(hours=5), "done")
    assert clock.owed(T0 + timedelta(hours=6), set()) == [DeadlineKind.TRIAGE_BREACHED]
    on_time = assessment_clock(underretning_id=uuid4(), concern_id=uuid4(), case_id=None, received_at=T0,
                               fraction=0.75, at_risk_from_start=True)
    assert on_time.kind is ClockKind.ASSESSMENT and on_time.owed(T0, set()) == [DeadlineKind.ASSESSMENT_AT_RISK]
    on_time.stop(T0 + timedelta(hours=1), "assessed")
    assert on_time.owed(T0 + timedelta(days=2), set()) == []
    assert not on_time.moved_earlier(T0 - timedelta(hours=1), T0, None)  # stopped clocks never move


def _print(received: datetime, **changes: object) -> object:
    body = concern_body(subjects=[person({"date_of_birth": "2012-05-05"}, name="Mads", cpr="0505121234")])
    body["description"] = "Han taler om vold."
    return fingerprint(ConcernIn.model_validate({**body, **changes}), received, KEY)


@pytest.mark.parametrize(("changes", "hours", "near"), [
    ({}, 1, True),
    ({"description": "  HAN taler, om vold!! "}, 1, True),
    ({}, 72, True),
    ({}, 73, False),
    ({"description": "Han taler om noget andet."}, 1, False),
    ({"reporter": {"category": "CITIZEN", "name": "Anden", "phone": "87654321"}}, 1, False),
    ({"reporter": {"category": "CITIZEN", "name": "Borger C", "phone": "+45 12345678"}}, 1, True),
    ({"reporter": {"category": "ANONYMOUS"}}, 1, False),
    ({"subjects": [person({"date_of_birth": "2012-05-05"}, name="Mads")]}, 1, True),  # name + DOB, no CPR
    ({"subjects": [person({"date_of_birth": "2011-05-05"}, name="Mads")]}, 1, False),
    ({"subjects": [person({}, name="Mads")]}, 1, False),  # no way to know it is the same subject
])
def test_near_duplicate_table(changes: dict[str, object], hours: int, near: bool) -> None:
    original = _print(T0)
    candidate = _print(T0 + timedelta(hours=hours), **changes)
    assert is_near_duplicate(candidate, original, timedelta(hours=72)) is near  # type: ignore[arg-type]


def test_anonymous_reporters_are_never_near_duplicates_of_each_other() -> None:
    a = _print(T0, reporter={"category": "ANONYMOUS"})
    b = _print(T0, reporter={"category": "ANONYMOUS"})
    assert not is_near_duplicate(a, b, timedelta(hours=72))  # type: ignore[arg-type]


def test_fingerprints_hold_no_plaintext() -> None:
    print_ = _print(T0)
    assert "0505121234" not in repr(print_) and "Mads" not in repr(print_) and "vold" not in repr(print_)


def test_an_internal_note_goes_on_the_timeline_without_moving_the_case() -> None:
    case = at_state(CaseState.SCREENING)
    case.add_note(MUNICIPAL, T0, "  Skolen er orienteret.  ")
    entry = case.timeline[-1]
    assert (entry.action, entry.from_state, entry.to_state, entry.details) == (
        "NOTE_ADDED", CaseState.SCREENING, CaseState.SCREENING, {"note": "Skolen er orienteret."})
    with pytest.raises(InvalidCommand):
        case.add_note(MUNICIPAL, T0, "   ")
