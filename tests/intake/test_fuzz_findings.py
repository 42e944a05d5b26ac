"""Regression tests for what the fuzzer (tests/fuzz, ``make fuzz``) found in intake."""

from __future__ import annotations

import re

import pytest

from services.intake.entrypoints.forms import whole_number
from tests.intake.conftest import IntakeUnderTest

FORM = "/henvendelse"


def _form(page: str, **fields: str) -> dict[str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    data = {"csrf_token": token.group(1), "submission_id": "fuzz-regression-0001", "subject_count": "1",
            "child_count": "0", "handling": "send", "subjects-0-stated_age": "16",
            "description": "Han taler om vold.", "acuteness": "ROUTINE", "reporter-category": "ANONYMOUS"}
    return data | fields


@pytest.mark.parametrize("age", ["²", "①", "9" * 5000], ids=["superscript", "circled", "5000-digits"])
async def test_an_age_that_is_digits_but_no_number_is_a_field_error_not_a_server_error(
        intake: IntakeUnderTest, age: str) -> None:
    # Finding 1: str.isdigit() holds for "²" and "①", which int() refuses, and int() of more than 4,300
    # digits raises: the form answered 500.
    async with intake.client() as client:
        page = await client.get(FORM)
        response = await client.post(FORM, data=_form(page.text, **{"subjects-0-stated_age": age}))
    assert response.status_code == 422
    assert 'id="subjects-0-stated_age-error"' in response.text or "Skal være et helt tal" in response.text
    assert await intake.counts() == (0, 0)


@pytest.mark.parametrize("count", ["²", "9" * 5000, "-1", "7" * 7])
async def test_an_odd_person_count_is_ignored(intake: IntakeUnderTest, count: str) -> None:
    # Finding 1 too: the hidden subject_count and child_count went through the same int().
    async with intake.client() as client:
        page = await client.get(FORM)
        response = await client.post(FORM, data=_form(page.text, subject_count=count, child_count=count))
    assert response.status_code == 200 and 'id="reference"' in response.text, response.text[-2000:]
    assert await intake.counts() == (1, 1)


def test_whole_numbers_are_ascii_digits_of_bounded_length() -> None:
    assert [whole_number(t) for t in ("0", "16", "000130", "130000")] == [0, 16, 130, 130000]
    assert [whole_number(t) for t in ("", "²", "①", "١٦", "-1", "+1", " 1", "1.0", "1234567")] == [None] * 9


async def test_a_name_with_control_characters_is_stored_and_found(intake: IntakeUnderTest) -> None:
    # Finding 2 (make fuzz, 10,000 inputs): a name with NUL ("\u0000") is valid, but its folded search key went
    # into a PostgreSQL text column, which refuses NUL: 500, and the driver's error carried the parameters.
    from infohus.kit.auth import Role
    from tests.intake.builders import concern_body

    body = concern_body(submission_id="fuzz-regression-0002")
    body["subjects"] = [{"name": "Mads\u0000 Hansen\u200b"}]
    async with intake.client(headers=intake.headers_for(Role.TOVHOLDER_MUNICIPAL)) as client:
        created = await client.post("/api/v1/concerns", json=body)
        found = await client.get("/api/v1/concerns", params={"q": "mads hansen"})
    assert created.status_code == 201, created.text
    assert await intake.counts() == (1, 1)
    assert found.status_code == 200 and created.json()["reference"] in found.text
