"""CaseOpened says whether the case's subject may be a minor, age conflicts included: the age band alone
says ADULT when the leading source does, although another source said under 18 (audit's Q9 a needs it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.routing.builders import ADULT, MINOR, concern_body, person
from tests.routing.conftest import RoutingHarness

RECEIVED = "2026-03-03T10:00:00+01:00"


@pytest.mark.parametrize(("subject", "band", "minor_possible"), [
    (person(MINOR), "MINOR", True),
    (person(ADULT), "ADULT", False),
    (person(ADULT, stated_age=15), "ADULT", True),  # the date of birth leads, the stated age conflicts
])
async def test_case_opened_carries_the_subjects_minor_possibility(
        routing: RoutingHarness, subject: dict[str, Any], band: str, minor_possible: bool) -> None:
    await routing.submit(concern_body(subjects=[subject]), RECEIVED)
    [opened] = await routing.events("CaseOpened")
    assert opened["age_bands"] == [band]
    assert opened["subject_minor_possible"] is minor_possible
