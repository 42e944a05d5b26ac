"""The workspace's forms, pure: what a person types becomes an API body or a Danish problem beside the
field; times a person enters lie after what they refer to and not in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.workspace.domain import labels
from services.workspace.domain.forms import (
    local_moment,
    parse_action,
    parse_police_decision,
    parse_receipt,
    parse_triage,
    refusal_da,
)

NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # 14:00 in Denmark


def test_triage_needs_an_outcome_it_knows() -> None:
    assert parse_triage({}).problems == {"triage-outcome": "Vælg et udfald."}
    assert parse_triage({"outcome": ["MAYBE"]}).problems == {"triage-outcome": "Vælg et udfald."}
    assert parse_triage({"outcome": ["IN_SCOPE"]}).body == {"outcome": "IN_SCOPE"}


@pytest.mark.parametrize("text", ["25:00", "12:60", "noon", "12", "1205", "-1:00", "²:00", "١٢:٠٠"])
def test_a_time_is_hh_mm_in_ascii_digits(text: str) -> None:
    assert isinstance(local_moment("2026-12-07", text, now=NOW), str)


@pytest.mark.parametrize("text", ["13:30", "13.30"])
def test_danish_staff_write_times_with_a_colon_or_a_dot(text: str) -> None:
    assert local_moment("2026-12-07", text, now=NOW) == datetime(2026, 12, 7, 12, 30, tzinfo=UTC)


def test_an_entered_time_is_neither_in_the_future_nor_before_what_it_refers_to() -> None:
    assert local_moment("2026-12-07", "14:30", now=NOW) == "Tidspunktet ligger i fremtiden."
    assert local_moment("2026-12-07", "14:04", now=NOW) == datetime(2026, 12, 7, 13, 4, tzinfo=UTC)  # skew
    before = local_moment("2026-12-06", "10:00", now=NOW, after=NOW - timedelta(hours=2))
    assert before == "Tidspunktet ligger før underretningen blev modtaget."
    impossible = local_moment("2026-02-31", "10:00", now=NOW)
    assert impossible == "Angiv en gyldig dato og et klokkeslæt, fx 6.12.2026 og 14:30."


def test_the_analysis_meeting_names_participants_and_the_cde_dimensions() -> None:
    form = {"action": ["RECORD_ANALYSIS"], "meeting_date": ["2026-12-07"], "meeting_time": ["10:00"],
            "participants": ["Børne- og ungerådgiver\n\nSSP-konsulent "], "dimensions_assessed": ["FAMILY", "X"]}
    parsed = parse_action(form, now=NOW)
    assert parsed.ok
    assert parsed.body["participants"] == ["Børne- og ungerådgiver", "SSP-konsulent"]
    assert parsed.body["dimensions_assessed"] == ["FAMILY"]
    assert datetime.fromisoformat(parsed.body["meeting_at"]) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    empty = parse_action({"action": ["RECORD_ANALYSIS"]}, now=NOW)
    assert set(empty.problems) == {"analysis-date", "analysis-participants", "analysis-dimensions"}


def test_an_unknown_action_changes_nothing() -> None:
    assert parse_action({"action": ["DELETE_EVERYTHING"]}, now=NOW).problems == {"action-form": "Ukendt handling."}


def test_a_police_disclosure_needs_a_basis_and_a_real_necessity_assessment() -> None:
    parsed = parse_police_decision({"approved": ["true"], "necessity_assessment": ["kort"], "channel": ["PHONE"]})
    assert set(parsed.problems) == {"police-basis", "police-necessity"}


def test_the_receipt_is_mailed_only_to_a_work_address_the_page_knows() -> None:
    received = NOW - timedelta(days=1)
    mailed = parse_receipt({"send": ["mail"]}, reporter_email="lene@skole.example", received_at=received, now=NOW)
    assert mailed.body == {"send_to": "lene@skole.example"}
    by_hand = parse_receipt({"send": ["mail"]}, reporter_email=None, received_at=received, now=NOW)
    assert set(by_hand.problems) == {"receipt-method", "receipt-date"}


def test_a_refusal_is_told_in_danish() -> None:
    assert refusal_da(403, "NotPermitted", "the two triage sign-offs must come from two different people") == \
        "De to underskrifter skal komme fra to forskellige personer."
    assert refusal_da(409, "ConcurrentModification", "version mismatch").startswith("Sagen er ændret af en anden")
    assert refusal_da(418, "", None) == "Handlingen kunne ikke gennemføres. Prøv igen."


def test_times_are_danish_local_time_to_the_minute_and_deadlines_at_midnight_are_the_day_before() -> None:
    assert labels.local(datetime(2026, 7, 1, 10, 5, 59, tzinfo=UTC)) == "1.7.2026 kl. 12.05"
    assert labels.deadline(datetime(2026, 12, 15, 23, 0, tzinfo=UTC)) == "15.12.2026 (dagens udgang)"
    assert labels.time_left(NOW + timedelta(hours=2, minutes=15), NOW) == ("2 t 15 min", False)
    assert labels.time_left(NOW - timedelta(days=1, hours=3), NOW) == ("overskredet med 1 d 3 t", True)
